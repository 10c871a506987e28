package io.meridian.node;

import java.util.concurrent.atomic.AtomicReference;

/** Starting the nodes of a test deployment. */
final class TestNodes {
    private TestNodes() {
    }

    /**
     * Starts every node at once (a node may wait for its peers while it starts: a control plane, a
     * snapshot to bootstrap from) and throws the first failure to start, if any.
     */
    static void startTogether(RegionNode... nodes) throws InterruptedException {
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        Thread[] starting = new Thread[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            RegionNode node = nodes[i];
            starting[i] = Thread.ofVirtual().start(() -> {
                try {
                    node.start();
                } catch (RuntimeException e) {
                    failed.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : starting) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }
}
