package dev.olla.capacity;

import dev.olla.endpoint.BackendLoad;
import dev.olla.endpoint.EndpointState;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code capacity} object of an endpoint in status: slots, cap, queue, loaded models (unknown = null). */
public final class CapacityView {
    private CapacityView() {}

    /** @param queued requests waiting in Olla's queue that could use this endpoint */
    public static Map<String, Object> of(EndpointState s, int queued) {
        BackendLoad l = s.load();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("slots_total", l.slotsTotal() < 0 ? null : l.slotsTotal());
        m.put("slots_busy", l.slotsBusy() < 0 ? null : l.slotsBusy());
        int free = s.freeSlots();
        m.put("slots_free", free < 0 ? null : free);
        m.put("backend_waiting", l.waiting() < 0 ? null : l.waiting());
        m.put("in_flight", s.inFlight());
        m.put("in_flight_by_model", s.modelInFlight());
        int cap = s.cap();
        m.put("max_concurrent", cap == Integer.MAX_VALUE ? null : cap);
        m.put("max_concurrent_source", s.endpoint().maxConcurrent() > 0 ? "config"
                : cap != Integer.MAX_VALUE ? "slots" : "unlimited");
        m.put("weight", s.endpoint().weight());
        m.put("queued", queued);
        if (l.loaded() == null) {
            m.put("loaded_models", null); // the backend publishes no residency
        } else {
            m.put("loaded_models", new java.util.TreeSet<>(l.loaded().keySet()));
            Map<String, Object> until = new java.util.TreeMap<>();
            l.loaded().forEach((name, t) -> {
                if (t != null && !t.equals(Instant.MAX)) {
                    until.put(name, t.toString());
                }
            });
            m.put("loaded_until", until);
        }
        m.put("polled_at", l.polledAt() == null ? null : l.polledAt().toString());
        m.put("poll_error", l.error());
        return m;
    }
}
