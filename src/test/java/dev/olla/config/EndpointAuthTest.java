package dev.olla.config;

import static dev.olla.config.ConfigTesting.endpoints;
import static dev.olla.config.ConfigTesting.failure;
import static dev.olla.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointAuthTest {

    @TempDir
    Path dir;

    private static String endpoint(String name, String authAndHeaders) {
        return endpoints("- url: http://" + name + ":8000\n  name: " + name + "\n  type: vllm\n" + authAndHeaders.indent(2));
    }

    private OllaConfig.Endpoint only(LoadedConfig lc) {
        return lc.config().discovery().staticConfig().endpoints().get(0);
    }

    @Test
    void bearerTokenFromEnvironment() throws Exception {
        OllaConfig.Endpoint e = only(load(dir, endpoint("gpu1", """
                auth:
                  type: bearer
                  token: ${VLLM_TOKEN}
                """), Map.of("VLLM_TOKEN", "t0k3n")));
        assertThat(e.auth().type()).isEqualTo("bearer");
        assertThat(e.auth().token()).isEqualTo("t0k3n");
        assertThat(EndpointAuth.authHeaders(e.auth())).containsExactly(Map.entry("Authorization", "Bearer t0k3n"));
    }

    @Test
    void unsetVariableIsFatalNamingEndpointAndVariable() {
        ConfigException ex = failure(dir, endpoint("gpu1", "auth:\n  type: bearer\n  token: ${VLLM_TOKEN}\n"));
        assertThat(ex.problems()).containsExactly(
                "endpoint \"gpu1\": bearer token: required environment variable \"VLLM_TOKEN\" is not set");
    }

    @Test
    void defaultsInExpansion() throws Exception {
        OllaConfig.Endpoint e = only(load(dir, endpoint("gpu1", """
                auth:
                  type: api_key
                  key: "pre-${KEY_PART:-fallback}-post"
                headers:
                  X-Tenant: "${TENANT:-acme}"
                  X-Region: "${REGION}"
                """), Map.of("REGION", "eu")));
        assertThat(e.auth().key()).isEqualTo("pre-fallback-post");
        assertThat(e.auth().header()).isEqualTo("X-Api-Key");
        assertThat(e.headers()).containsExactly(Map.entry("X-Tenant", "acme"), Map.entry("X-Region", "eu"));
        assertThat(EndpointAuth.authHeaders(e.auth())).containsExactly(Map.entry("X-Api-Key", "pre-fallback-post"));
    }

    @Test
    void unsetVariableInHeaderIsFatal() {
        assertThat(failure(dir, endpoint("gpu1", "headers:\n  X-Org: ${ORG}\n")).problems()).containsExactly(
                "endpoint \"gpu1\": header \"X-Org\": required environment variable \"ORG\" is not set");
    }

    @Test
    void apiKeyWithCustomHeader() throws Exception {
        OllaConfig.Endpoint e = only(load(dir, endpoint("remote", """
                auth:
                  type: api_key
                  key: k
                  header: api-key
                """)));
        assertThat(EndpointAuth.authHeaders(e.auth())).containsExactly(Map.entry("api-key", "k"));
    }

    @Test
    void basicAuthFromFiles() throws Exception {
        ConfigTesting.write(dir, "secrets/user", "alice\n");
        ConfigTesting.write(dir, "secrets/pass", "  s3cret  \n");
        OllaConfig.Endpoint e = only(load(dir, endpoint("lb", """
                auth:
                  type: basic
                  username_file: secrets/user
                  password_file: %s
                """.formatted(dir.resolve("secrets/pass")))));
        assertThat(e.auth().username()).isEqualTo("alice");
        assertThat(e.auth().password()).isEqualTo("s3cret");
        assertThat(e.auth().usernameFile()).isEqualTo("secrets/user");
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes());
        assertThat(EndpointAuth.authHeaders(e.auth())).containsExactly(Map.entry("Authorization", expected));
    }

    @Test
    void tokenFileIsReadAndTrimmed() throws Exception {
        ConfigTesting.write(dir, "token.txt", "\n abc \n");
        OllaConfig.Endpoint e = only(load(dir, endpoint("gpu1", "auth:\n  type: bearer\n  token_file: token.txt\n")));
        assertThat(e.auth().token()).isEqualTo("abc");
    }

    @Test
    void missingFileNamesEndpointAndPath() {
        List<String> p = failure(dir, endpoint("gpu1", "auth:\n  type: bearer\n  token_file: /no/such/token\n")).problems();
        assertThat(p).singleElement().asString().contains("endpoint \"gpu1\"").contains("token_file")
                .contains("/no/such/token").contains("does not exist");
    }

    @Test
    void exactlyOneOfValueOrFile() {
        assertThat(failure(dir, endpoint("a", "auth:\n  type: bearer\n  token: x\n  token_file: f\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.token: set either token or token_file, not both");
        assertThat(failure(dir, endpoint("a", "auth:\n  type: bearer\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.token: auth type bearer needs token or token_file");
        assertThat(failure(dir, endpoint("a", "auth:\n  type: basic\n  username: u\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.password: auth type basic needs password or password_file");
    }

    @Test
    void fieldsOfAnotherTypeAndUnknownTypes() {
        assertThat(failure(dir, endpoint("a", "auth:\n  type: bearer\n  token: t\n  password: p\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.password: not used by auth type bearer (it takes "
                        + "token, token_file)");
        assertThat(failure(dir, endpoint("a", "auth:\n  type: oauth\n  token: t\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.type: \"oauth\" is not one of bearer, api_key, basic");
        assertThat(failure(dir, endpoint("a", "auth:\n  token: t\n")).problems())
                .containsExactly("discovery.static.endpoints[0].auth.type: required (one of bearer, api_key, basic)");
    }

    @Test
    void emptyResolvedValueIsFatal() {
        assertThat(failure(dir, endpoint("a", "auth:\n  type: bearer\n  token: ${EMPTY}\n"), Map.of("EMPTY", ""))
                .problems()).containsExactly("endpoint \"a\": bearer token is empty");
    }

    @Test
    void secretsNeverInToString() throws Exception {
        LoadedConfig lc = load(dir, endpoints("""
                - url: http://a:1
                  name: a
                  type: vllm
                  auth: {type: bearer, token: "${T}"}
                  headers: {X-Secret-Key: hunter2}
                - url: http://b:1
                  name: b
                  type: vllm
                  auth: {type: basic, username: bob, password: pa55word}
                - url: http://c:1
                  name: c
                  type: vllm
                  auth: {type: api_key, key: sk-live-123}
                """), Map.of("T", "tok-987"));
        String text = lc.config().toString();
        assertThat(text).doesNotContain("tok-987").doesNotContain("hunter2").doesNotContain("pa55word")
                .doesNotContain("sk-live-123").doesNotContain("bob").contains("token=***").contains("X-Secret-Key");
        assertThat(lc.toString()).doesNotContain("tok-987");
    }

    @Test
    void requestHeadersLetAuthWin() {
        OllaConfig.Auth auth = new OllaConfig.Auth("bearer", "t", null, null, null, null, null, null, null, null);
        OllaConfig.Endpoint e = new OllaConfig.Endpoint("http://a:1", "a", "vllm", 100, false, null, null, null, null,
                OllaConfig.Filter.ALL, auth, Map.of("authorization", "Bearer custom", "X-Extra", "1"), 1, 0);
        assertThat(EndpointAuth.requestHeaders(e)).containsOnly(Map.entry("X-Extra", "1"),
                Map.entry("Authorization", "Bearer t"));
        assertThat(EndpointAuth.authHeaders(null)).isEmpty();
    }

    @Test
    void expansionSyntax() {
        Map<String, String> env = Map.of("A", "1", "EMPTY", "");
        assertThat(EndpointAuth.expand("x${A}y${A}", env)).isEqualTo("x1y1");
        assertThat(EndpointAuth.expand("${EMPTY:-d}", env)).isEqualTo("d");
        assertThat(EndpointAuth.expand("${MISSING:-}", env)).isEmpty();
        assertThat(EndpointAuth.expand("$A and $", env)).isEqualTo("$A and $");
        assertThatThrownBy(() -> EndpointAuth.expand("${A", env)).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> EndpointAuth.expand("${1A}", env)).hasMessageContaining("not a valid variable");
        assertThatThrownBy(() -> EndpointAuth.expand("${NOPE}", env))
                .hasMessage("required environment variable \"NOPE\" is not set");
    }

    @Test
    void badHeaderNames() {
        assertThat(failure(dir, endpoint("a", "headers:\n  \"Bad Header\": x\n")).problems())
                .containsExactly("discovery.static.endpoints[0].headers[\"Bad Header\"]: \"Bad Header\" is not a valid header name");
    }
}
