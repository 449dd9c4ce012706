package io.synrep;

import io.synrep.capture.Capture;
import io.synrep.capture.Epoch;
import io.synrep.capture.StreamStates;
import io.synrep.capture.WalGuard;
import io.synrep.capture.WriterProbe;
import io.synrep.http.CaptureFigures;
import io.synrep.http.RelayStatus;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What the HTTP layer reports about capture (status, readiness, health, metrics), read from the parts that hold it.
 * It lives here, not in {@code capture} or {@code http}, because it joins the two: neither imports the other. The
 * figures are the WAL guard's last samples; only {@link #writerPosition(long)} may ask the writer. Thread-safe.
 */
final class CaptureStatus implements RelayStatus, CaptureFigures {
    private final Capture capture;
    private final Epoch epoch;
    private final WriterProbe writer;
    private final StreamStates streamStates;
    private final WalGuard guard;

    CaptureStatus(Capture capture, Epoch epoch, WriterProbe writer, StreamStates streamStates, WalGuard guard) {
        this.capture = capture;
        this.epoch = epoch;
        this.writer = writer;
        this.streamStates = streamStates;
        this.guard = guard;
    }

    @Override
    public boolean streaming() {
        return capture.state() == Capture.State.STREAMING;
    }

    @Override
    public String epoch() {
        return epoch.current();
    }

    @Override
    public OptionalLong writerPosition(long atLeast) {
        return writer.atLeast(atLeast);
    }

    @Override
    public Map<String, String> streamStates() {
        return streamStates.current();
    }

    @Override
    public String describe() {
        String f = capture.failure();
        long unavailable = capture.unavailableValues();
        return "capture " + capture.state().name().toLowerCase() + (f == null ? "" : ": " + f)
                + (unavailable == 0 ? "" : "; " + unavailable + " unchanged TOASTed values streamed as null"
                + " (replica identity not FULL)");
    }

    @Override
    public long writerPosition() {
        return guard.writerPosition();
    }

    @Override
    public long captureLag() {
        return guard.captureLag();
    }

    @Override
    public long walHeld() {
        return guard.walHeld().retained();
    }

    @Override
    public long walUnconfirmed() {
        return guard.walHeld().confirmed();
    }
}
