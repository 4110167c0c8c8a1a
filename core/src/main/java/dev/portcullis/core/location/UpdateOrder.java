package dev.portcullis.core.location;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Makes "bump a gateway's configuration version, then hand the update to its link" one step, so
 * that each gateway receives its updates in version order. (Out of order, the gateway would ask
 * for a full snapshot: correct, but a 10,000-peer snapshot for nothing.) Every change that bumps a
 * gateway's version — settings, admissions, evictions, ACL — goes through here. Waiting for
 * acknowledgements happens outside.
 */
public final class UpdateOrder {

    /** Fair, so that a burst of admissions cannot starve an eviction. */
    private final ReentrantLock lock = new ReentrantLock(true);

    public <T> T inOrder(Supplier<T> bumpAndSend) {
        lock.lock();
        try {
            return bumpAndSend.get();
        } finally {
            lock.unlock();
        }
    }
}
