package io.meridian.traffic;

import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * How a gateway or an edge uses TLS: what it shows the clients that reach it, and whom it trusts
 * when it forwards over HTTPS. The two are independent: a gateway may serve HTTPS in front of
 * plain instances on its own host, or plain HTTP in front of HTTPS peers.
 *
 * @param serve what the listener shows (null: it serves plain HTTP); HTTPS offers HTTP/2 to
 *              clients that ask for it in the handshake (ALPN) and HTTP/1.1 to the others
 * @param dial  whom {@code https://} instances, peers and origins must prove to be (null: the
 *              JDK's trusted CAs); host names are checked against their certificates
 */
public record TrafficTls(SSLContext serve, SSLContext dial) {
    /** Plain HTTP in, the JDK's trust out. */
    public static final TrafficTls PLAIN = new TrafficTls(null, null);

    public boolean serves() {
        return serve != null;
    }

    /** The scheme clients reach the listener by. */
    public String scheme() {
        return serves() ? "https" : "http";
    }

    /** The listener: HTTPS (HTTP/2 or HTTP/1.1) when {@link #serve} is set, else plain HTTP/1.1. */
    ServerConnector connector(Server server, HttpConfiguration http) {
        if (!serves()) {
            return new ServerConnector(server, new HttpConnectionFactory(http));
        }
        // Clients reach a gateway by whatever name; the certificate is what it is (no SNI check), and requests know they came over TLS.
        http.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setSslContext(serve);
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory alpn = new org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(h1.getProtocol());
        return new ServerConnector(server, new org.eclipse.jetty.server.SslConnectionFactory(tls, alpn.getProtocol()), alpn,
                new org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory(http), h1);
    }

    /** The JDK client for health checks and purges. */
    java.net.http.HttpClient checks(Duration connectTimeout) {
        java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder().connectTimeout(connectTimeout);
        return (dial == null ? b : b.sslContext(dial)).build();
    }

    /** Jetty's client, for the gateway's proxy. */
    org.eclipse.jetty.client.HttpClient jettyClient() {
        org.eclipse.jetty.io.ClientConnector connector = new org.eclipse.jetty.io.ClientConnector();
        if (dial != null) {
            SslContextFactory.Client tls = new SslContextFactory.Client();
            tls.setSslContext(dial);
            connector.setSslContextFactory(tls);
        }
        return new org.eclipse.jetty.client.HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector));
    }

    /** Apache HttpClient's TLS, for the edge's origin requests. */
    org.apache.hc.client5.http.ssl.TlsSocketStrategy apache() {
        org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder b = org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder.create();
        return (dial == null ? b : b.setSslContext(dial)).buildClassic();
    }
}
