package io.streamable.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.Schema;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaConformanceTest {
    private static final ObjectMapper MAPPER = JsonCodecFactory.newObjectMapper();
    private static final SchemaDeriver DERIVER = new SchemaDeriver(MAPPER);

    enum Colour { RED, GREEN }

    record Item(String sku, int quantity) {
    }

    record Order(String id, long cents, boolean paid, double weight, Optional<String> note, Colour colour,
                 List<Item> items, Map<String, Long> totals) {
    }

    record Greeting(String name, boolean isGreat) {
    }

    private static List<String> check(String json, Class<?> type) throws Exception {
        JsonNode tree = MAPPER.readTree(json);
        return SchemaConformance.check(tree, DERIVER.derive(type));
    }

    @Test
    @DisplayName("what the type itself writes matches, optional properties and nulls included")
    void ownOutputMatches() throws Exception {
        Order order = new Order("o-1", 100, true, 1.5, Optional.empty(), Colour.RED,
                List.of(new Item("s", 2)), Map.of("eur", 3L));
        assertThat(SchemaConformance.check(MAPPER.valueToTree(order), DERIVER.derive(Order.class))).isEmpty();
        assertThat(check("{\"id\":null,\"cents\":1,\"paid\":false,\"weight\":2,\"colour\":\"GREEN\",\"items\":[],"
                + "\"totals\":{}}", Order.class)).as("note is optional; weight 2 is a number; cents 1.0 below").isEmpty();
        assertThat(check("{\"id\":\"x\",\"cents\":1.0,\"paid\":false,\"weight\":2,\"colour\":\"GREEN\",\"items\":[],"
                + "\"totals\":{}}", Order.class)).as("a whole number written with a fraction is an integer").isEmpty();
    }

    @Test
    @DisplayName("a wholly different payload lists the missing required and the unknown properties")
    void totallyDifferent() throws Exception {
        assertThat(check("{\"totally\":\"different\"}", Greeting.class)).containsExactly(
                "$.isGreat: required but missing", "$.name: required but missing",
                "$.totally: not a property of this schema (known: [isGreat, name])");
        assertThat(check("[1,2]", Greeting.class)).containsExactly("$: expected an object, got an array");
    }

    @Test
    @DisplayName("wrong JSON types are named by path, nested in arrays and maps, without the payload's values")
    void wrongTypes() throws Exception {
        List<String> problems = check("{\"id\":7,\"cents\":\"lots\",\"paid\":\"yes\",\"weight\":\"heavy\","
                + "\"colour\":\"BLUE\",\"items\":[{\"sku\":\"a\",\"quantity\":1.5}],\"totals\":{\"eur\":true}}", Order.class);
        assertThat(problems).containsExactlyInAnyOrder(
                "$.id: expected a string, got an integer",
                "$.cents: expected an integer, got a string",
                "$.paid: expected a boolean, got a string",
                "$.weight: expected a number, got a string",
                "$.colour: expected one of [GREEN, RED], got a string",
                "$.items[0].quantity: expected an integer, got a number",
                "$.totals.eur: expected an integer, got a boolean");
        assertThat(String.join(" ", problems)).doesNotContain("lots", "heavy", "BLUE");
    }

    @Test
    @DisplayName("the report stops after eight problems")
    void bounded() throws Exception {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < 20; i++) {
            json.append(i == 0 ? "" : ",").append("\"unknown").append(i).append("\":1");
        }
        assertThat(check(json.append("}").toString(), Greeting.class)).hasSize(8);
    }

    @Test
    @DisplayName("a schema of any JSON value accepts everything")
    void anything() throws Exception {
        assertThat(SchemaConformance.check(MAPPER.readTree("{\"a\":[1,\"x\"]}"), new Schema.AnySchema())).isEmpty();
    }
}
