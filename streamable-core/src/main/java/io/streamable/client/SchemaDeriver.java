package io.streamable.client;

import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonAnyFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonArrayFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonBooleanFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonFormatTypes;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonFormatVisitable;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonFormatVisitorWrapper;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonIntegerFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonMapFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonNullFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonNumberFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonObjectFormatVisitor;
import com.fasterxml.jackson.databind.jsonFormatVisitors.JsonStringFormatVisitor;
import io.streamable.schema.Schema.AnySchema;
import io.streamable.schema.Schema.ArraySchema;
import io.streamable.schema.Schema.EnumSchema;
import io.streamable.schema.Schema.JsonType;
import io.streamable.schema.Schema.MapSchema;
import io.streamable.schema.Schema.ObjectSchema;
import io.streamable.schema.Schema.Property;
import io.streamable.schema.Schema.RefSchema;
import io.streamable.schema.Schema.ScalarSchema;
import io.streamable.schema.Schema;

import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * Derives a {@link Schema} from a Java type by walking Jackson's serializers with a
 * {@link JsonFormatVisitorWrapper}, so the schema follows exactly what the mapper writes: naming
 * strategies, {@code @JsonProperty} names, {@code java.time} as strings, enums by their JSON names.
 *
 * <p>Required or optional: a property is optional when its type is {@code Optional},
 * {@code OptionalInt}, {@code OptionalLong} or {@code OptionalDouble}, when it is annotated with
 * any annotation named {@code Nullable}, or when it declares a default with
 * {@code @JsonProperty(defaultValue = ...)}; {@code @JsonProperty(required = true)} makes it
 * required whatever its type. Every other property is required.
 */
final class SchemaDeriver {
    private final ObjectMapper mapper;

    SchemaDeriver(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    Schema derive(java.lang.reflect.Type type) {
        return derive(mapper.constructType(type));
    }

    Schema derive(JavaType type) {
        if (type.hasRawClass(byte[].class)) {
            return new ScalarSchema(JsonType.STRING); // Jackson writes byte[] as base64 text
        }
        Node node = new Node(new ArrayDeque<>(), null);
        try {
            mapper.acceptJsonFormatVisitor(type, node);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException("Jackson cannot describe " + type + ": " + e.getOriginalMessage(), e);
        }
        return node.schema();
    }

    /** Visits one JSON value; {@code objects} holds the object types being described, to stop at cycles. */
    private final class Node extends JsonFormatVisitorWrapper.Base {
        private final Deque<JavaType> objects;
        private Schema schema;
        private Map<String, Property> properties;
        private JavaType objectType;
        private Node items;
        private Node values;

        Node(Deque<JavaType> objects, SerializerProvider provider) {
            super(provider);
            this.objects = objects;
        }

        Schema schema() {
            if (properties != null) {
                return ObjectSchema.of(properties);
            }
            if (items != null) {
                return new ArraySchema(items.schema());
            }
            if (values != null) {
                return new MapSchema(values.schema());
            }
            return schema != null ? schema : new AnySchema();
        }

        private Node child() {
            return new Node(objects, getProvider());
        }

        @Override
        public JsonObjectFormatVisitor expectObjectFormat(JavaType type) {
            if (type == null || type.isJavaLangObject()) {
                schema = new AnySchema(); // Jackson describes Object as an empty object; it holds any JSON
                return null;
            }
            for (JavaType open : objects) {
                if (open.equals(type)) {
                    schema = new RefSchema(type.getRawClass().getName());
                    return null; // a null visitor makes the serializer stop descending
                }
            }
            properties = new TreeMap<>();
            objectType = type;
            return new JsonObjectFormatVisitor.Base(getProvider()) {
                @Override
                public void property(BeanProperty property) throws JsonMappingException {
                    add(property);
                }

                @Override
                public void optionalProperty(BeanProperty property) throws JsonMappingException {
                    add(property);
                }

                @Override
                public void property(String name, JsonFormatVisitable handler, JavaType propertyTypeHint)
                        throws JsonMappingException {
                    properties.put(name, new Property(visit(handler, propertyTypeHint), true, null));
                }

                @Override
                public void optionalProperty(String name, JsonFormatVisitable handler, JavaType propertyTypeHint)
                        throws JsonMappingException {
                    properties.put(name, new Property(visit(handler, propertyTypeHint), false, null));
                }
            };
        }

        private void add(BeanProperty property) throws JsonMappingException {
            JavaType type = property.getType();
            Schema value;
            if (type.hasRawClass(byte[].class)) {
                value = new ScalarSchema(JsonType.STRING);
            } else {
                JsonSerializer<Object> serializer = getProvider().findValueSerializer(type, property);
                value = visit(serializer, type);
            }
            String defaultValue = property.getMetadata().getDefaultValue();
            boolean required = property.getMetadata().isRequired() || !isOptional(property, defaultValue);
            properties.put(property.getName(), new Property(value, required, defaultValue));
        }

        private Schema visit(JsonFormatVisitable handler, JavaType type) throws JsonMappingException {
            Node child = child();
            if (handler == null) {
                handler = getProvider().findValueSerializer(type);
            }
            pushAndAccept(handler, child, type);
            return child.schema();
        }

        @Override
        public JsonArrayFormatVisitor expectArrayFormat(JavaType type) {
            items = child();
            items.schema = new AnySchema();
            return new JsonArrayFormatVisitor.Base(getProvider()) {
                @Override
                public void itemsFormat(JsonFormatVisitable handler, JavaType elementType) throws JsonMappingException {
                    Node element = child();
                    if (handler == null) {
                        handler = getProvider().findValueSerializer(elementType);
                    }
                    pushAndAccept(handler, element, elementType);
                    items = element;
                }

                @Override
                public void itemsFormat(JsonFormatTypes format) {
                    items.schema = scalar(format);
                }
            };
        }

        @Override
        public JsonMapFormatVisitor expectMapFormat(JavaType type) {
            values = child();
            values.schema = new AnySchema();
            return new JsonMapFormatVisitor.Base(getProvider()) {
                @Override
                public void valueFormat(JsonFormatVisitable handler, JavaType valueType) throws JsonMappingException {
                    Node value = child();
                    if (handler == null) {
                        handler = getProvider().findValueSerializer(valueType);
                    }
                    pushAndAccept(handler, value, valueType);
                    values = value;
                }
            };
        }

        private void pushAndAccept(JsonFormatVisitable handler, Node child, JavaType type) throws JsonMappingException {
            boolean pushed = objectType != null;
            if (pushed) {
                objects.push(objectType);
            }
            try {
                handler.acceptJsonFormatVisitor(child, type);
            } finally {
                if (pushed) {
                    objects.pop();
                }
            }
        }

        @Override
        public JsonStringFormatVisitor expectStringFormat(JavaType type) {
            schema = new ScalarSchema(JsonType.STRING);
            return new JsonStringFormatVisitor.Base() {
                @Override
                public void enumTypes(Set<String> enums) {
                    if (enums != null && !enums.isEmpty()) {
                        schema = new EnumSchema(new java.util.TreeSet<>(enums));
                    }
                }
            };
        }

        @Override
        public JsonNumberFormatVisitor expectNumberFormat(JavaType type) {
            schema = new ScalarSchema(JsonType.NUMBER);
            return new JsonNumberFormatVisitor.Base();
        }

        @Override
        public JsonIntegerFormatVisitor expectIntegerFormat(JavaType type) {
            schema = new ScalarSchema(JsonType.INTEGER);
            return new JsonIntegerFormatVisitor.Base();
        }

        @Override
        public JsonBooleanFormatVisitor expectBooleanFormat(JavaType type) {
            schema = new ScalarSchema(JsonType.BOOLEAN);
            return new JsonBooleanFormatVisitor.Base();
        }

        @Override
        public JsonAnyFormatVisitor expectAnyFormat(JavaType type) {
            schema = new AnySchema();
            return new JsonAnyFormatVisitor.Base();
        }

        @Override
        public JsonNullFormatVisitor expectNullFormat(JavaType type) {
            schema = new AnySchema();
            return new JsonNullFormatVisitor.Base();
        }
    }

    private static Schema scalar(JsonFormatTypes format) {
        return switch (format) {
            case STRING -> new ScalarSchema(JsonType.STRING);
            case INTEGER -> new ScalarSchema(JsonType.INTEGER);
            case NUMBER -> new ScalarSchema(JsonType.NUMBER);
            case BOOLEAN -> new ScalarSchema(JsonType.BOOLEAN);
            default -> new AnySchema();
        };
    }

    private static boolean isOptional(BeanProperty property, String defaultValue) {
        JavaType type = property.getType();
        if (type.isReferenceType() || type.hasRawClass(OptionalInt.class) || type.hasRawClass(OptionalLong.class)
                || type.hasRawClass(OptionalDouble.class)) {
            return true;
        }
        if (defaultValue != null) {
            return true;
        }
        return isNullable(property.getMember());
    }

    /** Looks for any annotation called {@code Nullable}, declaration or type-use, on the property or its record component. */
    private static boolean isNullable(AnnotatedMember member) {
        if (member == null) {
            return false;
        }
        AnnotatedElement element = member.getAnnotated();
        if (hasNullable(element)) {
            return true;
        }
        if (element instanceof Method method && hasNullable(method.getAnnotatedReturnType())) {
            return true;
        }
        if (element instanceof Field field && hasNullable(field.getAnnotatedType())) {
            return true;
        }
        Class<?> owner = member.getDeclaringClass();
        if (owner != null && owner.isRecord()) {
            for (RecordComponent component : owner.getRecordComponents()) {
                if (component.getName().equals(member.getName())) {
                    if (hasNullable(component) || hasNullable(component.getAnnotatedType())) {
                        return true;
                    }
                    break;
                }
            }
        }
        if (owner != null) {
            // a FIELD-only annotation on a record component lands on the private field alone
            try {
                Field field = owner.getDeclaredField(member.getName());
                return hasNullable(field) || hasNullable(field.getAnnotatedType());
            } catch (NoSuchFieldException | SecurityException e) {
                return false;
            }
        }
        return false;
    }

    private static boolean hasNullable(AnnotatedElement element) {
        if (element == null) {
            return false;
        }
        for (Annotation annotation : element.getAnnotations()) {
            if (annotation.annotationType().getSimpleName().equals("Nullable")) {
                return true;
            }
        }
        if (element instanceof AnnotatedType type) {
            for (Annotation annotation : type.getAnnotations()) {
                if (annotation.annotationType().getSimpleName().equals("Nullable")) {
                    return true;
                }
            }
        }
        return false;
    }
}
