package dev.olla.state;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** {@code state.type: memory}: everything in this process; observations go nowhere. */
public final class MemoryState implements SharedState {
    private final String instanceId = Instances.newId();

    @Override
    public PinStore pins(int maxPins, Duration idleTtl) {
        return new MemoryPins(maxPins, idleTtl);
    }

    @Override
    public RateBuckets rateBuckets(Duration idleExpiry) {
        return new MemoryBuckets(idleExpiry);
    }

    @Override
    public void publish(Observation observation) {
        // one instance: nobody to tell
    }

    @Override
    public void onObservation(Consumer<Observation> listener) {
        // one instance: nothing ever arrives
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    @Override
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "memory");
        m.put("instance", instanceId);
        return m;
    }

    @Override
    public void close() {}
}
