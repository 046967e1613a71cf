package dev.olla.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Prefix resolution: the longest registered prefix wins (the first registered among equal lengths). */
class RouterTest {
    private record Registered(String prefix, Handler handler) {}

    /** The rule, written as the plain loop over every prefix. */
    private static Handler expected(List<Registered> all, String path) {
        List<Registered> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt((Registered r) -> r.prefix().length()).reversed()); // stable
        for (Registered r : sorted) {
            if (path.startsWith(r.prefix())) {
                return r.handler();
            }
        }
        return null;
    }

    @Test
    void theLongestMatchingPrefixWinsForRandomPrefixesAndPaths() {
        String[] segments = {"olla", "openai", "ollama", "v1", "api", "models", "chat", "o", "", "x-y", "olla2"};
        Random rnd = new Random(14);
        for (int round = 0; round < 40; round++) {
            Router router = new Router();
            List<Registered> all = new ArrayList<>();
            int n = 1 + rnd.nextInt(40);
            for (int i = 0; i < n; i++) {
                StringBuilder p = new StringBuilder();
                int depth = rnd.nextInt(5);
                for (int d = 0; d < depth; d++) {
                    p.append('/').append(segments[rnd.nextInt(segments.length)]);
                }
                if (rnd.nextInt(4) != 0) {
                    p.append('/'); // most prefixes end in '/', some do not
                }
                Handler h = ex -> { };
                all.add(new Registered(p.toString(), h));
                router.prefix(p.toString(), h, rnd.nextBoolean());
            }
            for (int q = 0; q < 300; q++) {
                StringBuilder path = new StringBuilder();
                int depth = rnd.nextInt(7);
                for (int d = 0; d < depth; d++) {
                    path.append('/').append(segments[rnd.nextInt(segments.length)]);
                }
                if (rnd.nextBoolean()) {
                    path.append('/');
                }
                String s = path.toString();
                Router.Match m = router.resolve(HttpMethod.POST, s);
                Handler want = expected(all, s);
                assertThat(m.handler()).as("round %d path %s", round, s).isSameAs(want);
                assertThat(m.status()).isEqualTo(want == null ? 404 : 200);
            }
        }
    }

    @Test
    void exactPathsWinAndMethodsAreChecked() {
        Handler exact = ex -> { };
        Handler prefix = ex -> { };
        Router router = new Router().post("/olla/openai/v1/chat/completions", exact)
                .prefix("/olla/openai/", prefix, true);
        assertThat(router.resolve(HttpMethod.POST, "/olla/openai/v1/chat/completions").handler()).isSameAs(exact);
        assertThat(router.resolve(HttpMethod.GET, "/olla/openai/v1/chat/completions").status()).isEqualTo(405);
        assertThat(router.resolve(HttpMethod.GET, "/olla/openai/v1/models").handler()).isSameAs(prefix);
        assertThat(router.resolve(HttpMethod.GET, "/olla/openai").status()).isEqualTo(404);
    }
}
