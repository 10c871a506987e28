package io.meridian.replication;

import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS between regions, mutual: this region shows its certificate through {@code keyManager} and
 * takes only peers' certificates {@code trustManager} accepts (the deployment's CA, naming a
 * configured region), on replication streams and Raft connections alike, both ways.
 */
public record PeerTls(X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager) {
    /** What a gRPC server of this region requires of the peers that connect. */
    public io.grpc.ServerCredentials serverCredentials() {
        return io.grpc.TlsServerCredentials.newBuilder().keyManager(keyManager).trustManager(trustManager)
                .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.REQUIRE).build();
    }

    /** What a gRPC channel of this region shows and checks of the peer it dials. */
    public io.grpc.ChannelCredentials channelCredentials() {
        return io.grpc.TlsChannelCredentials.newBuilder().keyManager(keyManager).trustManager(trustManager).build();
    }

    /** The channel credentials of {@code tls}: plaintext when null. */
    static io.grpc.ChannelCredentials channelCredentials(PeerTls tls) {
        return tls == null ? io.grpc.InsecureChannelCredentials.create() : tls.channelCredentials();
    }
}
