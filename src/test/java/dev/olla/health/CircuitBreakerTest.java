package dev.olla.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.health.CircuitBreaker.Permit;
import dev.olla.health.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's rules, on an injected clock (time moves, nothing sleeps). */
class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong(42);
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(30), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private boolean fail() {
        return breaker.onFailure(Permit.CLOSED);
    }

    @Test
    void opensAfterThreeConsecutiveFailures() {
        assertThat(fail()).isFalse();
        assertThat(fail()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquire()).isSameAs(Permit.CLOSED);
        assertThat(fail()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.permitsNow()).isFalse();
        advance(Duration.ofSeconds(29));
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void successInBetweenResetsTheCount() {
        fail();
        fail();
        assertThat(breaker.onSuccess(Permit.CLOSED)).isFalse(); // was closed: nothing to announce
        fail();
        fail();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isEqualTo(2);
    }

    @Test
    void halfOpenAfterTheTimeoutAdmitsExactlyOneTrialAmongRacingCallers() throws Exception {
        open();
        advance(Duration.ofSeconds(30));
        assertThat(breaker.permitsNow()).isTrue(); // read-only: takes nothing
        assertThat(breaker.state()).isEqualTo(State.OPEN);

        int threads = 16;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger granted = new AtomicInteger();
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            all.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < 1000; k++) {
                    Permit p = breaker.tryAcquire();
                    if (p != null) {
                        assertThat(p.trial()).isTrue();
                        granted.incrementAndGet();
                    }
                }
            }));
        }
        go.countDown();
        for (Thread t : all) {
            t.join();
        }
        assertThat(granted.get()).isEqualTo(1);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.permitsNow()).isFalse();
    }

    @Test
    void trialSuccessCloses() {
        open();
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(trial.trial()).isTrue();
        assertThat(breaker.onSuccess(trial)).isTrue();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isZero();
        assertThat(breaker.tryAcquire()).isSameAs(Permit.CLOSED);
        // and it needs three new failures to open again
        fail();
        fail();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aSuccessWhileOpenDoesNotCloseOnlyTheTrialDoes() {
        Permit early = breaker.tryAcquire(); // a request that started while closed
        open();
        assertThat(breaker.onSuccess(early)).isFalse();
        assertThat(breaker.onSuccess(Permit.NONE)).isFalse(); // a last-resort attempt
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(breaker.onSuccess(early)).isFalse(); // still not the trial
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.onFailure(early)).isFalse(); // nor does its failure re-open
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.onSuccess(trial)).isTrue();
    }

    @Test
    void trialFailureReopensForAnotherFullWindow() {
        open();
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(breaker.onFailure(trial)).isTrue();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        advance(Duration.ofSeconds(29));
        assertThat(breaker.tryAcquire()).isNull();
        advance(Duration.ofSeconds(1));
        assertThat(breaker.tryAcquire()).isNotNull();
    }

    @Test
    void anIgnoredTrialGivesItsPermitBack() {
        open();
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(breaker.tryAcquire()).isNull();
        breaker.release(trial); // the client went away, or the permit was not used
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.permitsNow()).isTrue(); // due at once: no new open window
        Permit next = breaker.tryAcquire();
        assertThat(next.trial()).isTrue();
        breaker.release(trial); // a second release of the old trial changes nothing
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.onSuccess(next)).isTrue();
    }

    @Test
    void releasingAClosedPermitChangesNothing() {
        fail();
        breaker.release(breaker.tryAcquire());
        assertThat(breaker.consecutiveFailures()).isEqualTo(1);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void aTrialThatNeverReportsIsReplacedAfterTheOpenTime() {
        open();
        advance(Duration.ofSeconds(30));
        Permit lost = breaker.tryAcquire();
        assertThat(lost).isNotNull();
        advance(Duration.ofSeconds(10));
        assertThat(breaker.tryAcquire()).isNull();
        advance(Duration.ofSeconds(20));
        Permit replacement = breaker.tryAcquire();
        assertThat(replacement).isNotNull();
        assertThat(breaker.tryAcquire()).isNull();
        assertThat(breaker.onSuccess(lost)).isFalse(); // the replaced trial no longer decides
        assertThat(breaker.onSuccess(replacement)).isTrue();
    }

    @Test
    void failuresWhileOpenDoNotExtendTheWindow() {
        open();
        advance(Duration.ofSeconds(20));
        assertThat(fail()).isFalse();
        assertThat(breaker.probeFailed()).isFalse();
        advance(Duration.ofSeconds(10));
        assertThat(breaker.tryAcquire()).isNotNull();
    }

    @Test
    void aSuccessfulProbeClosesAtOnceFromAnyState() {
        open();
        advance(Duration.ofSeconds(1));
        assertThat(breaker.probeSucceeded()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        open();
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(breaker.probeSucceeded()).isTrue();
        assertThat(breaker.onFailure(trial)).isFalse(); // a stale trial after the probe closed it
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isZero();
    }

    @Test
    void anEjectedBreakerIsClosedOnlyByATrialNotByAProbe() {
        assertThat(breaker.eject()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.ejected()).isTrue();
        assertThat(breaker.probeSucceeded()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        advance(Duration.ofSeconds(30));
        Permit trial = breaker.tryAcquire();
        assertThat(breaker.probeSucceeded()).isFalse();
        assertThat(breaker.onSuccess(trial)).isTrue();
        assertThat(breaker.ejected()).isFalse();
    }

    private void open() {
        fail();
        fail();
        fail();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }
}
