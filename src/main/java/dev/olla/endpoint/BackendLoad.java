package dev.olla.endpoint;

import java.time.Instant;
import java.util.Map;

/**
 * What a backend last reported about its residency and occupancy (polled by
 * {@code dev.olla.capacity.CapacityMonitor}). Every figure may be unknown: {@code -1} for numbers,
 * {@code null} for the loaded models. Unknown means unknown, never busy.
 *
 * @param slotsTotal parallel slots the backend serves (llama.cpp {@code total_slots}), -1 unknown
 * @param slotsBusy  slots processing a request now (llama.cpp {@code is_processing}; vLLM/SGLang running), -1 unknown
 * @param waiting    requests waiting inside the backend (llama.cpp deferred, vLLM/SGLang waiting), -1 unknown
 * @param loaded     models loaded in memory, name -> expiry (null expiry = not published); null = unknown
 * @param ownAtPoll  Olla's own in-flight requests to this endpoint when the report arrived (they are part of
 *                   {@code slotsBusy}; the rest is other clients' work)
 * @param polledAt   when the report arrived (null = never)
 * @param error      why the last poll failed, or null
 */
public record BackendLoad(int slotsTotal, int slotsBusy, int waiting, Map<String, Instant> loaded, int ownAtPoll,
        Instant polledAt, String error) {

    public static final BackendLoad UNKNOWN = new BackendLoad(-1, -1, -1, null, 0, null, null);

    public BackendLoad {
        loaded = loaded == null ? null : Map.copyOf(loaded);
    }

    public boolean slotsKnown() {
        return slotsTotal > 0 && slotsBusy >= 0;
    }

    /** Busy slots taken by work that did not come through Olla (other clients, other proxies), 0 if unknown. */
    public int foreignBusy() {
        return slotsBusy < 0 ? 0 : Math.max(0, slotsBusy - ownAtPoll);
    }

    /**
     * A failed poll: occupancy and residency unknown; the slot count of the previous report is kept
     * (a server's slots do not change while it runs), so one slow poll does not lift the cap.
     */
    public BackendLoad failed(Instant at, String error) {
        return new BackendLoad(slotsTotal, -1, -1, null, 0, at, error);
    }

    public BackendLoad withOwn(int own) {
        return new BackendLoad(slotsTotal, slotsBusy, waiting, loaded, own, polledAt, error);
    }
}
