package dev.olla.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.olla.health.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong(42);
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(30), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void opensAfterThreeConsecutiveFailures() {
        assertThat(breaker.onFailure()).isFalse();
        assertThat(breaker.onFailure()).isFalse();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.onFailure()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.permitsNow()).isFalse();
        advance(Duration.ofSeconds(29));
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.remainingOpenNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void successInBetweenResetsTheCount() {
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.onSuccess()).isFalse(); // was closed: nothing to announce
        breaker.onFailure();
        breaker.onFailure();
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
                    if (breaker.tryAcquire()) {
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
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.onSuccess()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.consecutiveFailures()).isZero();
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isTrue();
        // and it needs three new failures to open again
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
    }

    @Test
    void trialFailureReopensForAnotherFullWindow() {
        open();
        advance(Duration.ofSeconds(30));
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.onFailure()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        advance(Duration.ofSeconds(29));
        assertThat(breaker.tryAcquire()).isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void aTrialThatNeverReportsIsReplacedAfterTheOpenTime() {
        open();
        advance(Duration.ofSeconds(30));
        assertThat(breaker.tryAcquire()).isTrue(); // trial lost
        advance(Duration.ofSeconds(10));
        assertThat(breaker.tryAcquire()).isFalse();
        advance(Duration.ofSeconds(20));
        assertThat(breaker.tryAcquire()).isTrue(); // replacement trial
        assertThat(breaker.tryAcquire()).isFalse();
    }

    @Test
    void failuresWhileOpenDoNotExtendTheWindow() {
        open();
        advance(Duration.ofSeconds(20));
        assertThat(breaker.onFailure()).isFalse();
        advance(Duration.ofSeconds(10));
        assertThat(breaker.tryAcquire()).isTrue();
    }

    private void open() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }
}
