package io.synrep.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** A file shipped in the jar next to this class (the status page, the OpenAPI document), read once at start. */
final class BundledDocument {
    private final byte[] bytes;
    private final String contentType;

    BundledDocument(String resource, String contentType) {
        this.contentType = contentType;
        try (InputStream in = BundledDocument.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " missing from the jar");
            }
            this.bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }

    void handle(Context ctx) {
        ctx.contentType(contentType).result(bytes);
    }
}
