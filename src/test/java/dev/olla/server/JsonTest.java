package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Plain values are written without the mapper, byte for byte as the mapper writes them. */
class JsonTest {
    private static final ObjectMapper REFERENCE = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    record Bean(String a, Integer b) {}

    @Test
    void plainValuesAreWrittenAsTheMapperWritesThem() throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("text", "é \u2028 \"quoted\" <tag> \u0001");
        map.put("gone", null);
        map.put("list", Arrays.asList(1, 2L, (short) 3, (byte) 4, 1.5, 2.5f, null, true));
        map.put("big", List.of(new BigDecimal("1.50"), new BigInteger("123456789012345678901234567890")));
        map.put("nested", Map.of("k", List.of()));
        ObjectNode node = REFERENCE.createObjectNode().put("n", 1).put("d", 0.1).putNull("z");
        node.putArray("a").add("x").add(false).add(new BigDecimal("2.0"));
        node.put("bin", new byte[] {1, 2, 3});
        map.put("node", node);
        for (Object v : List.of(map, node, "text", 42, List.of(), Map.of())) {
            assertThat(PlainJson.plain(v)).as(String.valueOf(v)).isTrue();
            assertThat(new String(Json.bytes(v), StandardCharsets.UTF_8))
                    .isEqualTo(new String(REFERENCE.writeValueAsBytes(v), StandardCharsets.UTF_8));
        }
    }

    @Test
    void anythingElseGoesThroughTheMapper() {
        List<Object> withBean = new ArrayList<>(List.of(new Bean("x", null)));
        assertThat(PlainJson.plain(withBean)).isFalse();
        assertThat(PlainJson.plain(Map.of(1, "non-text key"))).isFalse();
        assertThat(new String(Json.bytes(withBean), StandardCharsets.UTF_8)).isEqualTo("[{\"a\":\"x\"}]");
    }

    @Test
    void treesAndStringLiterals() throws IOException {
        assertThat(Json.tree("{\"a\":[1]}").path("a").get(0).intValue()).isEqualTo(1);
        assertThat(Json.tree("").isMissingNode()).isTrue();
        assertThat(Json.tree("xx{}".getBytes(StandardCharsets.UTF_8), 2, 2).isObject()).isTrue();
        assertThat(Json.string("\"a\\u00e9\\n\"")).isEqualTo("aé\n");
        assertThatThrownBy(() -> Json.string("\"a\\q\"")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.string("12")).isInstanceOf(IOException.class);
    }
}
