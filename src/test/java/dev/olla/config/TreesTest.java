package dev.olla.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Trees built from the parser are the trees ObjectMapper.readTree builds, node types included. */
class TreesTest {
    private static final JsonFactory JSON = new JsonFactory();

    private static JsonNode ours(JsonFactory f, String text) throws IOException {
        try (JsonParser p = f.createParser(text)) {
            return Trees.read(p);
        }
    }

    @Test
    void jsonTreesEqualTheMappersWithTheSameNodeTypes() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        for (String text : List.of("{\"a\":1,\"b\":[true,false,null,\"x\"],\"c\":{\"d\":2.5,\"e\":-0.0}}",
                "{\"int\":2147483647,\"long\":2147483648,\"big\":123456789012345678901234567890,\"neg\":-9223372036854775808}",
                "[1e3, 1.0E-7, 3.141592653589793, \"\\u00e9\\n\\\"\", {}, []]", "\"just text\"", "42", "null",
                "{\"dup\":1,\"dup\":2}", "{\"a\":1} trailing", "  ", "")) {
            JsonNode expected = mapper.readTree(text);
            JsonNode actual = ours(JSON, text);
            assertThat(actual).as(text).isEqualTo(expected);
            assertThat(types(actual)).as(text).isEqualTo(types(expected));
        }
    }

    @Test
    void yamlTreesEqualTheMappersAndRecordWhereEachValueStarts() throws IOException {
        YAMLFactory yaml = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        String text = "name: x\nlist:\n  - 1\n  - two\nmap: {a: yes, b: 1.5, c: ~}\n";
        assertThat(ours(yaml, text)).isEqualTo(new ObjectMapper(yaml).readTree(text));
        Map<String, JsonLocation> where = new HashMap<>();
        try (JsonParser p = yaml.createParser(text)) {
            Trees.read(p, where);
        }
        assertThat(where.get("name").getLineNr()).isEqualTo(1);
        assertThat(where.get("list[1]").getLineNr()).isEqualTo(4);
        assertThat(where.get("map.b").getLineNr()).isEqualTo(5);
        assertThatThrownBy(() -> ours(yaml, "a: 1\na: 2\n")).hasMessageContaining("Duplicate field 'a'");
    }

    private static String types(JsonNode n) {
        StringBuilder sb = new StringBuilder(n.getNodeType() + ":" + n.getClass().getSimpleName());
        if (n.isContainerNode()) {
            sb.append('(');
            for (JsonNode c : n) {
                sb.append(types(c)).append(',');
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
