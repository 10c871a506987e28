package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the lab knows a process it started, after the clock moved and after its pid is reused. */
class LabStatePidTest {
    private final ProcessHandle self = ProcessHandle.current();
    private final LabState.Pid recorded = LabState.Pid.of(self);

    @Test
    void aRunningProcessIsKnownByItsStartInClockTicksWhateverTheWallClockSaysSince() {
        assertThat(recorded.startTicks()).as("Linux: /proc/self/stat").isPositive();
        assertThat(recorded.handle()).contains(self);
        // the wall clock was stepped by an hour since (the start instant Linux reports moves with it): still the same process
        assertThat(new LabState.Pid(self.pid(), recorded.startMillis() - 3_600_000, recorded.startTicks()).handle()).contains(self);
    }

    @Test
    void aReusedPidIsNotTakenForTheProcessTheLabStarted() {
        assertThat(new LabState.Pid(self.pid(), recorded.startMillis(), recorded.startTicks() + 1).handle()).isEmpty();
        assertThat(new LabState.Pid(self.pid(), recorded.startMillis() - 3_600_000, 0).handle()).isEmpty();
    }

    @Test
    void withoutTicksTheStartInstantIsComparedWithSomeSlack() {
        // a state file from before ticks were kept: the instant, which may have moved a little
        assertThat(new LabState.Pid(self.pid(), recorded.startMillis() + 1_000, 0).handle()).contains(self);
        assertThat(new LabState.Pid(self.pid(), 0, 0).handle()).contains(self);
    }

    @Test
    void aProcessNameWithSpacesAndParenthesesDoesNotConfuseTheTicks(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // /proc/PID/stat names a process after the file it ran: "(x) (y z)" here
        java.nio.file.Path odd = java.nio.file.Files.createSymbolicLink(dir.resolve("x) (y z"), java.nio.file.Path.of("/bin/sleep"));
        Process p = new ProcessBuilder(odd.toString(), "30").start();
        try {
            assertThat(LabState.Pid.startTicks(p.pid())).isPositive();
            assertThat(LabState.Pid.of(p.toHandle()).handle()).isPresent();
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertThat(LabState.Pid.of(p.toHandle()).handle()).as("exited").isEmpty();
    }

    @Test
    void aKilledProcessNotYetReapedIsNotRunning() throws Exception {
        // The child's own child, whose parent (exec'd into sleep) never reaps it: killed, it stays a zombie, as a region
        // killed by another program stays one until init reaps it.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 60 & echo $!; exec sleep 60").start();
        try {
            long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(parent.getInputStream())).readLine().trim());
            ProcessHandle child = ProcessHandle.of(pid).orElseThrow();
            LabState.Pid recordedChild = LabState.Pid.of(child);
            assertThat(recordedChild.handle()).isPresent();
            // Killed while its parent is still the shell, the shell would reap it: first the exec.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> java.nio.file.Files
                    .readString(java.nio.file.Path.of("/proc", Long.toString(parent.pid()), "comm")).strip().equals("sleep"));
            child.destroyForcibly();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> LabState.Pid.zombie(pid));
            assertThat(child.isAlive()).as("Java counts a zombie alive").isTrue();
            assertThat(recordedChild.handle()).as("the lab does not").isEmpty();
        } finally {
            parent.destroyForcibly().waitFor();
        }
    }
}
