package io.streamable.examples.migration;

import io.streamable.backend.mongoredis.TestServers;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The migration example runs on the embedded MongoDB and Redis and prints the whole topic in order. */
class PrototypeMigrationExampleTest {

    @Test
    @DisplayName("the prototype's database is inspected, its hole filled, consumed from the beginning and continued")
    void migrates() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            PrototypeMigrationExample.main(new String[] {TestServers.url()});
        } finally {
            System.setOut(original);
        }
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "found greetings: 3 documents, ids 1..4, missing [3], prototype-shaped 3, undecodable 0",
                "filled 1 missing id",
                "java append at 5",
                "1 Greeting[name=phil, isGreat=true]",
                "2 Greeting[name=ada, isGreat=true]",
                "4 Greeting[name=grace, isGreat=true]",
                "5 Greeting[name=linus, isGreat=false]",
                "nextids seq 5: the prototype's next id is 6");
    }
}
