package io.fleetdeploy.sandbox.runtime;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RDS IAM database authentication in front of a real PostgreSQL, speaking the PostgreSQL wire protocol
 * (v3). Users who are members of {@code rds_iam} are asked for a cleartext password
 * (AuthenticationCleartextPassword); that password is the IAM token, which the {@link IamTokenVerifier}
 * judges; when it passes, the session continues on the server's Unix socket, where {@code rds_iam}
 * members are trusted (the server rejects them over TCP, so the proxy is their only way in). Everyone
 * else is relayed untouched to the server's TCP port and authenticates there with their password. SSL
 * and GSS encryption requests are declined, so clients continue in plaintext (loopback only).
 * A thread pair per connection: the sandbox's databases have few connections.
 *
 * <p>Why a proxy: RDS checks the token inside PostgreSQL (a PAM module that calls IAM), but an
 * embedded PostgreSQL cannot call out to the sandbox. Setting the user's password to the token for
 * one login instead would let two concurrent logins race and leave a working password behind after
 * the token expired. The proxy judges the token before the server sees the session, and the server
 * trusts rds_iam members only on a Unix socket in a directory only this process may enter, so the
 * token check cannot be bypassed. A refusal is RDS's "PAM authentication failed" error, with the
 * reason as its DETAIL (never the token).
 */
final class PostgresIamProxy implements AutoCloseable {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;
    private static final int CANCEL_REQUEST = 80877102;
    private static final int PROTOCOL_3 = 196608;
    private static final int MAX_STARTUP_BYTES = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(PostgresIamProxy.class);

    private final String host;
    private final int serverPort;
    private final Path serverSocket;
    private final Predicate<String> isIamUser;
    private final IamTokenVerifier verifier;
    private final ServerSocket listener;
    private final ExecutorService threads = Executors.newCachedThreadPool(RuntimeIo.daemonThreads("rds-iam-proxy"));

    /** @param host the loopback address clients reach {@link #port()} on, as the instance's endpoint names it */
    PostgresIamProxy(String host, int serverPort, Path serverSocket, Predicate<String> isIamUser, IamTokenVerifier verifier)
            throws IOException {
        this.host = host;
        this.serverPort = serverPort;
        this.serverSocket = serverSocket;
        this.isIamUser = isIamUser;
        this.verifier = verifier;
        this.listener = new ServerSocket(0, 50, InetAddress.getByName(host));
        threads.execute(this::acceptForever);
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptForever() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    LOG.warn("IAM proxy could not accept a connection: {}", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            int length;
            int code;
            while (true) {
                length = in.readInt();
                code = in.readInt();
                if (code == SSL_REQUEST || code == GSS_REQUEST) {
                    out.write('N');
                    out.flush();
                    continue;
                }
                break;
            }
            if (length < 8 || length > MAX_STARTUP_BYTES) {
                return;
            }
            byte[] body = in.readNBytes(length - 8);
            byte[] startup = ByteBuffer.allocate(length).putInt(length).putInt(code).put(body).array();
            if (code == CANCEL_REQUEST) {
                try (Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort)) {
                    server.getOutputStream().write(startup);
                }
                return;
            }
            if (code != PROTOCOL_3) {
                sendError(out, "08P01", "unsupported frontend protocol", null);
                return;
            }
            String user = parameters(body).getOrDefault("user", "");
            if (isIamUser.test(user)) {
                serveIamUser(client, in, out, user, startup);
            } else {
                try (Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort)) {
                    server.getOutputStream().write(startup);
                    relay(in, out, server.getInputStream(), server.getOutputStream());
                }
            }
        } catch (IOException e) {
            LOG.debug("IAM proxy connection ended: {}", e.getMessage());
        }
    }

    private void serveIamUser(Socket client, DataInputStream in, OutputStream out, String user, byte[] startup)
            throws IOException {
        out.write(ByteBuffer.allocate(9).put((byte) 'R').putInt(8).putInt(3).array());
        out.flush();
        int type = in.read();
        int length = in.readInt();
        if (type != 'p' || length < 5 || length > MAX_STARTUP_BYTES) {
            sendError(out, "08P01", "expected a password message", null);
            return;
        }
        byte[] password = in.readNBytes(length - 4);
        String token = new String(password, 0, Math.max(0, password.length - 1), StandardCharsets.UTF_8);
        String endpoint = host + ":" + port();
        Optional<String> refusal;
        try {
            refusal = verifier.refusal(endpoint, user, token);
        } catch (RuntimeException e) {
            LOG.warn("the IAM token verifier failed for user {}: {}", user, e.getClass().getSimpleName());
            refusal = Optional.of("the token could not be checked (" + e.getClass().getSimpleName() + ")");
        }
        if (refusal.isPresent()) {
            // RDS's own message, with the sandbox's reason as the error's DETAIL (drivers show it):
            // it names endpoint, user and key, never the token.
            LOG.info("refused the IAM token of user {} at {}: {}", user, endpoint, refusal.get());
            sendError(out, "28P01", "PAM authentication failed for user \"" + user + "\"",
                    "RDS IAM authentication at " + endpoint + " refused: " + refusal.get());
            return;
        }
        try (SocketChannel server = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.connect(UnixDomainSocketAddress.of(serverSocket));
            OutputStream toServer = output(server);
            toServer.write(startup);
            relay(in, out, input(server), toServer);
        }
    }

    /** Copies both ways until either side closes. */
    private void relay(InputStream fromClient, OutputStream toClient, InputStream fromServer, OutputStream toServer)
            throws IOException {
        threads.execute(() -> {
            try {
                fromClient.transferTo(toServer);
            } catch (IOException e) {
                // The client went away; closing the server side below ends the other direction.
            } finally {
                try {
                    toServer.close();
                } catch (IOException ignored) {
                    // Already closed.
                }
            }
        });
        fromServer.transferTo(toClient);
        toClient.flush();
    }

    /*
     * Streams over a blocking SocketChannel that read and write at the same time: those of
     * java.nio.channels.Channels share one lock, so a blocked read would stall every write.
     */
    private static InputStream input(SocketChannel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                return length == 0 ? 0 : channel.read(ByteBuffer.wrap(bytes, offset, length));
            }
        };
    }

    private static OutputStream output(SocketChannel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    private static Map<String, String> parameters(byte[] body) {
        Map<String, String> parameters = new HashMap<>();
        int start = 0;
        String key = null;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                String value = new String(body, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                if (key == null) {
                    if (value.isEmpty()) {
                        break;
                    }
                    key = value;
                } else {
                    parameters.put(key, value);
                    key = null;
                }
            }
        }
        return parameters;
    }

    private static void sendError(OutputStream out, String sqlState, String message, String detail) throws IOException {
        byte[] fields = ("SFATAL\0VFATAL\0C" + sqlState + "\0M" + message + "\0"
                + (detail == null ? "" : "D" + detail + "\0") + "\0").getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(5 + fields.length).put((byte) 'E').putInt(4 + fields.length).put(fields).array());
        out.flush();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // Closing only stops accepting.
        }
        threads.shutdownNow();
    }
}
