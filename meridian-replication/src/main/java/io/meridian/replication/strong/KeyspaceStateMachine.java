package io.meridian.replication.strong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meridian.core.MeridianException;
import io.meridian.core.txn.TxnEvaluator;
import io.meridian.storage.StrongStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;

/**
 * A strong keyspace's Raft state machine: a thin adapter that decodes a log entry (a
 * transaction, in {@link TxnCodec}'s versioned binary form), evaluates it with the pure
 * {@link TxnEvaluator} against {@link StrongStore}, applies the writes with the entry's position
 * in one batch, and encodes the outcome as the reply. Every replica computes the same outcome
 * from the same entry. A failed compare is an outcome ({@code succeeded: false}), and an
 * {@code add} on a non-integer is a typed refusal; neither throws, so the log always advances.
 * An entry this version cannot read stops the group's apply with an error naming it.
 *
 * <p>Reads ({@code {"get": key}}) go through {@link #query}; Ratis runs them after the read
 * index for linearizable reads. Each entry's writes land in one RocksDB batch, so a read never
 * sees half of one.
 *
 * <p><b>Snapshots.</b> A snapshot is a file of every key, value and version at one log
 * position, taken (on the apply thread, so between entries) when Ratis asks; Ratis then purges
 * the log up to it and ships the file to a replica too far behind, which loads it in
 * {@link #reinitialize}. At start-up, a store behind the latest snapshot (its unsynced writes
 * lost in a crash) is loaded from it; entries the store already holds are skipped on replay.
 * The lifecycle moves as {@code notes/ratis.md} requires for install to work.
 */
public final class KeyspaceStateMachine extends BaseStateMachine {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KeyspaceStateMachine.class);

    private final StrongStore store;
    private final SnapshotFiles snapshots = new SnapshotFiles();

    public KeyspaceStateMachine(StrongStore store) {
        this.store = store;
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
    public long takeSnapshot() throws IOException {
        org.apache.ratis.server.protocol.TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return org.apache.ratis.server.raftlog.RaftLog.INVALID_LOG_INDEX;
        }
        store.sync();
        java.io.File file = snapshots.getSnapshotFile(last.getTerm(), last.getIndex());
        java.io.File tmp = new java.io.File(file.getPath() + ".tmp");
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
                new java.io.FileOutputStream(tmp)))) {
            out.writeByte(SNAPSHOT_FORMAT);
            store.forEach(item -> {
                try {
                    out.writeBoolean(true);
                    out.writeUTF(item.key());
                    byte[] value = item.value().getBytes(StandardCharsets.UTF_8);
                    out.writeInt(value.length);
                    out.write(value);
                    out.writeLong(item.version());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            out.writeBoolean(false);
        }
        java.nio.file.Files.move(tmp.toPath(), file.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        org.apache.ratis.io.MD5Hash md5 = org.apache.ratis.util.MD5FileUtil.computeAndSaveMd5ForFile(file);
        snapshots.updateLatestSnapshot(new org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo(
                new org.apache.ratis.server.storage.FileInfo(file.toPath(), md5), last));
        return last.getIndex();
    }

    private static final byte SNAPSHOT_FORMAT = 1;

    /** Loads the latest snapshot into the store when the store is behind it; returns its position, or null. */
    private org.apache.ratis.server.protocol.TermIndex loadSnapshotIfAhead() throws IOException {
        org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo latest = snapshots.loadLatestSnapshot();
        if (latest == null) {
            return null;
        }
        org.apache.ratis.server.protocol.TermIndex at = latest.getTermIndex();
        if (store.applied()[1] < at.getIndex()) {
            java.util.List<StrongStore.Item> items = new java.util.ArrayList<>();
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                    java.nio.file.Files.newInputStream(latest.getFile().getPath())))) {
                byte format = in.readByte();
                if (format != SNAPSHOT_FORMAT) {
                    throw new IOException("snapshot " + latest.getFile().getPath() + " has format " + format);
                }
                while (in.readBoolean()) {
                    String key = in.readUTF();
                    byte[] value = in.readNBytes(in.readInt());
                    items.add(new StrongStore.Item(key, new String(value, StandardCharsets.UTF_8), in.readLong()));
                }
            }
            store.replaceAll(items, at.getTerm(), at.getIndex());
        }
        return at;
    }

    /**
     * Starts with nothing applied as far as Ratis knows: with no snapshot, Ratis replays the whole
     * log and notifies every index in order, and the applied index it tracks must only grow. The
     * store's own position makes the replay of what it already holds a no-op.
     */
    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(server, groupId, storage);
        snapshots.init(storage);
        getLifeCycle().startAndTransition(() -> {
            org.apache.ratis.server.protocol.TermIndex at = loadSnapshotIfAhead();
            if (at != null) {
                setLastAppliedTermIndex(at); // Ratis replays the log after the snapshot only
            }
        });
    }

    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** After a snapshot was installed from the leader: load it, and continue from its position. */
    @Override
    public void reinitialize() throws IOException {
        getLifeCycle().transition(LifeCycle.State.STARTING);
        org.apache.ratis.server.protocol.TermIndex at = loadSnapshotIfAhead();
        if (at != null) {
            setLastAppliedTermIndex(at);
        }
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        long term = entry.getTerm();
        if (index <= store.applied()[1]) {
            updateLastAppliedTermIndex(term, index); // replayed after a restart: already in the store
            return reply(new TxnCodec.Reply.Replayed());
        }
        byte[] bytes = entry.getStateMachineLogEntry().getLogData().toByteArray();
        boolean batch = TxnCodec.isBatch(bytes);
        List<TxnCodec.Entry> txns;
        try {
            txns = batch ? TxnCodec.decodeBatch(bytes) : List.of(TxnCodec.decode(bytes));
        } catch (IOException | MeridianException e) {
            // Every replica reads the same bytes: one that cannot must stop here rather than skip the entry.
            log.error("entry {} of this strong keyspace's log cannot be read: {}", index, e.getMessage());
            return CompletableFuture.failedFuture(new IOException("log entry " + index + ": " + e.getMessage(), e));
        }
        List<byte[]> replies = apply(term, index, txns);
        updateLastAppliedTermIndex(term, index);
        return CompletableFuture.completedFuture(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString
                .copyFrom(batch ? TxnCodec.encodeBatchReply(replies) : replies.getFirst())));
    }

    /**
     * Applies an entry's transactions (one, or a batch): each is evaluated in order against the
     * store as the ones before it in the entry left it (as if each had an entry of its own), and
     * all their writes and answers go to the store at once, at this index. A request already
     * applied (a client's retry whose answer was lost with a leader) gets its first answer again
     * and writes nothing. Writes take the entry's index as their version; the proposer never puts
     * two transactions touching one key in an entry, so versions stay unique.
     *
     * @return each transaction's answer, in order
     */
    private List<byte[]> apply(long term, long index, List<TxnCodec.Entry> txns) {
        java.util.Map<String, Optional<String>> writes = new java.util.LinkedHashMap<>();
        TxnEvaluator.State state = key -> writes.containsKey(key)
                ? writes.get(key).map(v -> new TxnEvaluator.Stored(v, index)) : store.get(key);
        List<StrongStore.Answered> answered = new java.util.ArrayList<>();
        List<byte[]> replies = new java.util.ArrayList<>();
        for (TxnCodec.Entry one : txns) {
            java.util.UUID requestId = one.requestId().orElse(null);
            Optional<byte[]> earlier = requestId == null ? Optional.empty() : store.reply(requestId)
                    .or(() -> answered.stream().filter(a -> a.requestId().equals(requestId)).map(StrongStore.Answered::reply).findFirst());
            if (earlier.isPresent()) {
                log.debug("entry {} repeats request {}: answering as before", index, requestId);
                replies.add(earlier.get());
                continue;
            }
            TxnCodec.Reply reply;
            try {
                TxnEvaluator.Outcome outcome = TxnEvaluator.evaluate(one.txn(), state, index);
                writes.putAll(outcome.writes());
                reply = new TxnCodec.Reply.Committed(outcome.succeeded(), outcome.results());
            } catch (MeridianException e) {
                java.util.Map<String, String> extensions = new java.util.LinkedHashMap<>();
                e.extensions().forEach((k, v) -> extensions.put(k, String.valueOf(v)));
                reply = new TxnCodec.Reply.Failed(e.type(), e.detail(), extensions);
            }
            byte[] answer = TxnCodec.encode(reply);
            replies.add(answer);
            if (requestId != null) {
                answered.add(new StrongStore.Answered(requestId, answer));
            }
        }
        store.apply(term, index, writes, answered);
        return replies;
    }

    private static CompletableFuture<Message> reply(TxnCodec.Reply reply) {
        return CompletableFuture.completedFuture(Message.valueOf(
                org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(TxnCodec.encode(reply))));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        try {
            String key = JSON.readTree(request.getContent().toByteArray()).path("get").asText();
            Optional<TxnEvaluator.Stored> stored = store.get(key);
            ObjectNode reply = JSON.createObjectNode();
            reply.put("key", key);
            reply.put("applied_index", getLastAppliedTermIndex() == null ? -1 : getLastAppliedTermIndex().getIndex());
            stored.ifPresent(s -> {
                reply.put("value", s.value());
                reply.put("version", Long.toString(s.version()));
            });
            return CompletableFuture.completedFuture(Message.valueOf(reply.toString()));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Encodes a read of one key for {@link #query}. */
    public static Message get(String key) {
        ObjectNode q = JSON.createObjectNode();
        q.put("get", key);
        return Message.valueOf(q.toString());
    }

    static String text(Message m) {
        return m.getContent().toString(StandardCharsets.UTF_8);
    }
}
