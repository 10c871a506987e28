package io.meridian.replication.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meridian.core.failover.Command;
import io.meridian.core.failover.ControlState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;

/**
 * The control plane's Raft state machine: a thin adapter that decodes each log entry as a
 * {@link Command} (JSON), applies it to the pure {@link ControlState}, and answers with the
 * {@link ControlState.Outcome}. The state lives in memory; Ratis rebuilds it at start-up from the
 * latest snapshot (a JSON file of the whole state) and the log after it. After every entry a
 * copy is published for readers (the write path checks ownership against it without locking),
 * and the listener hears what was applied.
 */
public final class ControlStateMachine extends BaseStateMachine {
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .addMixIn(Command.class, CommandFormat.class);

    /**
     * The control log's encoding of commands: JSON objects whose {@code type} names the command.
     * These names are a durable format: never rename one; add new commands with new names.
     */
    @com.fasterxml.jackson.annotation.JsonTypeInfo(use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.NAME, property = "type")
    @com.fasterxml.jackson.annotation.JsonSubTypes({
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Report.class, name = "report"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Renew.class, name = "renew"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Raise.class, name = "raise"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Approve.class, name = "approve"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Reject.class, name = "reject"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Withdraw.class, name = "withdraw"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Activate.class, name = "activate"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Rejoin.class, name = "rejoin"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Failback.class, name = "failback"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.Restore.class, name = "restore"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.IssueToken.class, name = "issue-token"),
            @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = Command.RevokeToken.class, name = "revoke-token")})
    private interface CommandFormat {
    }

    /** Hears every applied command, on Ratis's apply thread: keep it short. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param proposedByNanos a {@code System.nanoTime()} no earlier than the moment the command was
         *                        proposed: when it was applied here, or, for an entry of an earlier term
         *                        applied by this region as leader, when this region became leader
         *                        (Raft elects a leader only with every committed entry already in its log,
         *                        so such an entry was sent before the election)
         */
        void applied(Command command, ControlState.Outcome outcome, ControlState after, long proposedByNanos);
    }

    private final Listener listener;
    private final io.meridian.replication.strong.SnapshotFiles snapshots = new io.meridian.replication.strong.SnapshotFiles();
    private ControlState state;
    private volatile ControlState published;
    private volatile long leaderSinceNanos;

    /** @param initial the state of a new deployment (every data region active) */
    public ControlStateMachine(ControlState initial, Listener listener) {
        this.listener = listener;
        this.state = initial;
        this.published = copy(state);
    }

    /** The state as of the last applied entry; never modified. */
    public ControlState current() {
        return published;
    }

    public static byte[] encode(Command c) {
        try {
            return JSON.writeValueAsBytes(c);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + c, e);
        }
    }

    public static ControlState.Outcome decodeOutcome(String json) throws IOException {
        return JSON.readValue(json, ControlState.Outcome.class);
    }

    private static ControlState copy(ControlState s) {
        return ControlState.restore(s.snapshot());
    }

    @Override
    public org.apache.ratis.statemachine.StateMachineStorage getStateMachineStorage() {
        return snapshots;
    }

    @Override
    public org.apache.ratis.statemachine.SnapshotInfo getLatestSnapshot() {
        return snapshots.getLatestSnapshot();
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(server, groupId, storage);
        snapshots.init(storage);
        getLifeCycle().startAndTransition(this::loadSnapshot);
    }

    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    @Override
    public void reinitialize() throws IOException {
        getLifeCycle().transition(LifeCycle.State.STARTING);
        loadSnapshot();
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    private synchronized void loadSnapshot() throws IOException {
        SingleFileSnapshotInfo latest = snapshots.loadLatestSnapshot();
        if (latest == null) {
            return;
        }
        ControlState.Snapshot s = JSON.readValue(latest.getFile().getPath().toFile(), ControlState.Snapshot.class);
        state = ControlState.restore(s);
        published = copy(state);
        setLastAppliedTermIndex(latest.getTermIndex());
    }

    @Override
    public synchronized long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return org.apache.ratis.server.raftlog.RaftLog.INVALID_LOG_INDEX;
        }
        java.io.File file = snapshots.getSnapshotFile(last.getTerm(), last.getIndex());
        java.io.File tmp = new java.io.File(file.getPath() + ".tmp");
        JSON.writeValue(tmp, state.snapshot());
        java.nio.file.Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        org.apache.ratis.io.MD5Hash md5 = org.apache.ratis.util.MD5FileUtil.computeAndSaveMd5ForFile(file);
        snapshots.updateLatestSnapshot(new SingleFileSnapshotInfo(new org.apache.ratis.server.storage.FileInfo(file.toPath(), md5), last));
        return last.getIndex();
    }

    @Override
    public void notifyLeaderChanged(org.apache.ratis.protocol.RaftGroupMemberId member, org.apache.ratis.protocol.RaftPeerId leader) {
        if (member.getPeerId().equals(leader)) {
            leaderSinceNanos = System.nanoTime();
        }
    }

    /** See {@link Listener#applied}. */
    private long proposedBy(LogEntryProto entry) {
        long now = System.nanoTime();
        try {
            var info = getServer().join().getDivision(getGroupId()).getInfo();
            if (info.isLeader() && entry.getTerm() < info.getCurrentTerm() && leaderSinceNanos != 0) {
                return Math.min(now, leaderSinceNanos);
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not known: the apply time is always a safe bound
        }
        return now;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] bytes = entry.getStateMachineLogEntry().getLogData().toByteArray();
        ControlState.Outcome outcome;
        Command command = null;
        ControlState after;
        synchronized (this) {
            try {
                command = JSON.readValue(bytes, Command.class);
                outcome = state.apply(command);
            } catch (IOException | RuntimeException e) {
                // A malformed command changes nothing; the log moves on.
                outcome = new ControlState.Outcome(false, "malformed command: " + e.getMessage(), state.epoch(), 0);
            }
            after = copy(state);
            published = after;
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        }
        if (command != null) {
            listener.applied(command, outcome, after, proposedBy(entry));
        }
        try {
            return CompletableFuture.completedFuture(Message.valueOf(new String(JSON.writeValueAsBytes(outcome), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

}
