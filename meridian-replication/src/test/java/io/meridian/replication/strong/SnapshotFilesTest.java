package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot files on a real Ratis storage directory: listed when they may have changed, not on every question. */
class SnapshotFilesTest {
    @TempDir
    Path dir;
    private RaftStorage storage;

    @BeforeEach
    void open() throws Exception {
        storage = RaftStorage.newBuilder().setDirectory(dir.toFile()).setOption(RaftStorage.StartupOption.FORMAT)
                .setStorageFreeSpaceMin(org.apache.ratis.util.SizeInBytes.ONE_MB).build();
        storage.initialize();
    }

    @AfterEach
    void close() throws Exception {
        storage.close();
    }

    /** A snapshot file as a state machine writes one, with its MD5 beside it. */
    private File write(SnapshotFiles files, long term, long index) throws Exception {
        File file = files.getSnapshotFile(term, index);
        Files.writeString(file.toPath(), "state at " + index);
        MD5FileUtil.computeAndSaveMd5ForFile(file);
        return file;
    }

    @Test
    void anEmptyListingIsRememberedUntilTheSnapshotsChangeThroughTheStorage() throws Exception {
        SnapshotFiles files = new SnapshotFiles();
        files.init(storage);
        assertThat(files.getLatestSnapshot()).isNull();

        write(files, 1, 10); // behind the storage's back: not listed again
        assertThat(files.getLatestSnapshot()).isNull();
        assertThat(files.getLatestSnapshot()).isNull();

        assertThat(files.loadLatestSnapshot()).as("a load lists the directory").isNotNull();
        assertThat(files.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(1, 10));
    }

    @Test
    void aSnapshotTakenOrFoundAtStartIsTheLatest() throws Exception {
        SnapshotFiles files = new SnapshotFiles();
        files.init(storage);
        assertThat(files.getLatestSnapshot()).isNull();
        File taken = write(files, 2, 20);
        files.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(taken.toPath(), MD5FileUtil.readStoredMd5ForFile(taken)),
                TermIndex.valueOf(2, 20)));
        assertThat(files.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(2, 20));

        SnapshotFiles restarted = new SnapshotFiles();
        restarted.init(storage);
        assertThat(restarted.getLatestSnapshot().getTermIndex()).as("after a restart").isEqualTo(TermIndex.valueOf(2, 20));
    }
}
