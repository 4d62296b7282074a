/**
 * Typed payloads that evolve safely: a schema registry per topic, kept in the topic's own backend.
 *
 * <p>Opening a producer registers its payload type's structural {@link io.streamable.schema.Schema}
 * (derived by Jackson's own introspection) and checks it against the topic's
 * {@link io.streamable.schema.CompatibilityMode}; a breaking type fails with an
 * {@link io.streamable.schema.IncompatibleSchemaException} that names each property, what changed,
 * the conflicting version and how to fix it. Every message records its version in the
 * {@code streamable.schema.version} header; consumers decode each message as the version it was
 * written with, and {@link io.streamable.schema.Upcaster}s turn old versions into the newest.
 *
 * <pre>{@code
 * try (Streamable streamable = Streamable.builder().url("memory:")
 *         .upcaster(OrderPlacedV1.class, OrderPlacedV2.class, v1 -> new OrderPlacedV2(v1.id(), v1.cents(), "EUR"))
 *         .build()) {
 *     streamable.schemas().setCompatibility("orders", CompatibilityMode.FULL);
 *     streamable.producer(Topic.of("orders", OrderPlaced.class));   // registers, or throws
 *     streamable.schemas().versions("orders").forEach(System.out::println);
 * }
 * }</pre>
 *
 * <p>See {@link io.streamable.schema.SchemaRegistry} for the rules: which properties are required,
 * how sealed interfaces carry versions side by side, and how versions are stored.
 */
package io.streamable.schema;
