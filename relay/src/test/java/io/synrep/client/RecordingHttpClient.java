package io.synrep.client;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A real {@link HttpClient} that notes when each blocking request was sent and answered, so that a test can read the
 * gaps a reader leaves between its requests from its own wire calls rather than from guesses about its loop.
 */
final class RecordingHttpClient extends HttpClient {
    /** One request: when it was sent and answered ({@link System#nanoTime()}), its path and query, its answer. */
    record Exchange(long sentNanos, long answeredNanos, String target, int status, String retryAfter) {}

    private final HttpClient http;
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();

    RecordingHttpClient(HttpClient http) {
        this.http = http;
    }

    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    long answered(int status) {
        return exchanges.stream().filter(e -> e.status() == status).count();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        long sent = System.nanoTime();
        HttpResponse<T> r = http.send(request, handler);
        exchanges.add(new Exchange(sent, System.nanoTime(), request.uri().getRawPath() + (request.uri().getRawQuery() == null ? "" : "?" + request.uri().getRawQuery()),
                r.statusCode(), r.headers().firstValue("Retry-After").orElse(null)));
        return r;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        throw new UnsupportedOperationException("the reader sends blocking requests");
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        throw new UnsupportedOperationException("the reader sends blocking requests");
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return http.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return http.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return http.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return http.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return http.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return http.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return http.authenticator();
    }

    @Override
    public Version version() {
        return http.version();
    }

    @Override
    public Optional<Executor> executor() {
        return http.executor();
    }
}
