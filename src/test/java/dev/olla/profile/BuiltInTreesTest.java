package dev.olla.profile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The build's pre-parsed built-in profiles: the same trees as the YAML, and taken at start-up. */
class BuiltInTreesTest {
    @Test
    void everyPreParsedTreeIsTheYamlsTreeNodeForNode() throws Exception {
        Map<String, Map.Entry<Long, JsonNode>> trees = BuiltInTrees.load();
        assertThat(trees.keySet()).as("written by the build (process-classes)")
                .containsExactlyInAnyOrderElementsOf(ProfileRegistry.builtInFiles());
        for (String file : ProfileRegistry.builtInFiles()) {
            String yaml = ProfileRegistry.builtInYaml(file);
            assertThat(trees.get(file).getKey()).as(file + " crc").isEqualTo(BuiltInTrees.crc(yaml));
            // equals compares node types too (an int node is not a long or text node)
            assertThat(trees.get(file).getValue()).as(file)
                    .isEqualTo(ProfileYamlReader.tree(file, yaml, new HashMap<>()));
        }
    }

    @Test
    void startUpTakesThemAndAChangedYamlIsNotTaken() throws Exception {
        ProfileRegistry.load(Path.of("no-such-dir"), null, null);
        assertThat(ProfileRegistry.preParsed).isEqualTo(ProfileRegistry.builtInFiles().size());
        assertThat(BuiltInTrees.crc("name: ollama\n")).isNotEqualTo(BuiltInTrees.crc("name: ollama \n"));
    }
}
