package io.streamable.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.benchmarks.harness.Result;
import io.streamable.benchmarks.harness.Unit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportWriterTest {
    /** A run's output: noise, a sweep of one scenario at two counts and sizes, a latency scenario, an old short line. */
    private static final List<String> OUTPUT = List.of(
            "=== kafka-produce: appendAll pipelined",
            "measured round 2 framework 10,000 ops in 0.100 s = 100,000 ops/s",
            "RESULT scenario=kafka-produce unit=msgs/s value=100000 baseline=125000 ratio=0.800 messages=10000 size=100"
                    + " p50=1.000 p99=2.000 max=3.000 base_p50=0.500 base_p99=1.500 base_max=2.500 heap_mb=120"
                    + " base_heap_mb=80 load=3.5",
            "RESULT scenario=kafka-produce unit=msgs/s value=150000 baseline=160000 ratio=0.938 messages=100000 size=100"
                    + " p50=1.000 p99=2.000 max=3.000 base_p50=0.500 base_p99=1.500 base_max=2.500 heap_mb=300"
                    + " base_heap_mb=200 load=4.0",
            "RESULT scenario=kafka-produce unit=msgs/s value=20000 baseline=25000 ratio=0.800 messages=10000 size=10000"
                    + " p50=1.000 p99=2.000 max=3.000 base_p50=0.500 base_p99=1.500 base_max=2.500 heap_mb=500"
                    + " base_heap_mb=400 load=4.0",
            "RESULT scenario=kafka-produce unit=msgs/s value=30000 baseline=31000 ratio=0.968 messages=100000 size=10000"
                    + " p50=1.000 p99=2.000 max=3.000 base_p50=0.500 base_p99=1.500 base_max=2.500 heap_mb=900"
                    + " base_heap_mb=700 load=4.0",
            "RESULT scenario=mongoredis-latency unit=ms value=2.000 baseline=900.000 ratio=450.000 messages=600 size=100"
                    + " p50=1.000 p99=2.000 max=5.000 base_p50=500.000 base_p99=900.000 base_max=1000.000 heap_mb=50"
                    + " base_heap_mb=40 load=2.0",
            "RESULT scenario=slow-key unit=msgs/s value=159461 baseline=84986 ratio=1.876",
            "All scenarios ran in 12 s");

    @Test
    void parsesEveryResultLineAndIgnoresTheRest() {
        List<Result> results = ReportWriter.parse(OUTPUT);

        assertThat(results).hasSize(6);
        Result first = results.get(0);
        assertThat(first.scenario()).isEqualTo("kafka-produce");
        assertThat(first.unit()).isEqualTo(Unit.THROUGHPUT);
        assertThat(first.ratio()).isEqualTo(0.8);
        assertThat(first.details().messages()).isEqualTo(10_000);
        assertThat(first.details().frameworkHeapMb()).isEqualTo(120);
        assertThat(first.details().baseline().p99()).isEqualTo(1.5);
        assertThat(results.get(4).ratio()).isEqualTo(450.0);
        assertThat(results.get(5).details()).isSameAs(Result.Details.UNKNOWN);
    }

    @Test
    void aResultLineSurvivesARoundTripThroughItsText() {
        Result result = new Result("inmemory-e2e", Unit.THROUGHPUT, 700_000, 800_000,
                new Result.Details(1_000_000, 100, new Result.Latency(0.1, 2.5, 9), new Result.Latency(0.01, 0.02, 1),
                        800, 600, 1.5));

        assertThat(Result.parse(result.line())).isEqualTo(result);
        assertThat(result.line()).startsWith("RESULT scenario=inmemory-e2e unit=msgs/s value=700000 baseline=800000 ratio=0.875 ");
    }

    @Test
    void writesCsvJsonAndChartsOfTheResults(@TempDir Path directory) throws Exception {
        List<Path> written = ReportWriter.write(directory, ReportWriter.parse(OUTPUT), "sample run");

        assertThat(written).extracting(path -> path.getFileName().toString()).containsExactly("results.csv",
                "results.json", "ratio.png", "throughput-kafka-produce.png", "heap-kafka-produce.png", "latency.png",
                "index.md");
        List<String> csv = Files.readAllLines(directory.resolve("results.csv"));
        assertThat(csv).hasSize(7);
        assertThat(csv.get(0)).startsWith("scenario,unit,value,baseline,ratio,messages,size_bytes,");
        assertThat(csv.get(1)).isEqualTo("kafka-produce,msgs/s,100000,125000,0.800,10000,100,1,2,3,0.500,1.500,2.500,120,80,3.500");
        assertThat(csv.get(6)).isEqualTo("slow-key,msgs/s,159461,84986,1.876,,,,,,,,,,,");

        JsonNode json = new ObjectMapper().readTree(directory.resolve("results.json").toFile());
        assertThat(json.get("note").asText()).isEqualTo("sample run");
        assertThat(json.get("results")).hasSize(6);
        assertThat(json.get("results").get(4).get("baselineLatencyMs").get("p99").asDouble()).isEqualTo(900.0);
        assertThat(json.get("results").get(5).has("messages")).isFalse();

        for (String chart : List.of("ratio.png", "throughput-kafka-produce.png", "heap-kafka-produce.png", "latency.png")) {
            BufferedImage image = ImageIO.read(directory.resolve(chart).toFile());
            assertThat(image).as(chart).isNotNull();
            assertThat(image.getWidth()).isEqualTo(1000);
        }
        assertThat(Files.readString(directory.resolve("index.md"))).contains("sample run", "![ratio.png](ratio.png)",
                "| `kafka-produce` | 100,000 | 10 KB | 30,000 msgs/s | 31,000 msgs/s | 0.968 | 900 / 700 | 4 |");
    }

    @Test
    void onlyScenariosMeasuredAtSeveralCountsGetCurves() {
        List<Result> results = ReportWriter.parse(OUTPUT);

        assertThat(ReportWriter.sweeps(results)).containsOnlyKeys("kafka-produce");
        assertThat(ReportWriter.sweeps(results).get("kafka-produce")).hasSize(4);
    }

    @Test
    void aMalformedLineSaysWhatIsWrong() {
        assertThatThrownBy(() -> Result.parse("RESULT scenario=x unit=msgs/s value=fast baseline=1 ratio=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value=fast");
        assertThatThrownBy(() -> Result.parse("RESULT scenario=x unit=furlongs value=1 baseline=1 ratio=1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("furlongs");
        assertThatThrownBy(() -> ReportWriter.write(Path.of("unused"), List.of(), "none"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("No RESULT lines");
    }
}
