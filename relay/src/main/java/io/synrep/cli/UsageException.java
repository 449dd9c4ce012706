package io.synrep.cli;

/** A command line that cannot be run; the message says what to change. Exit code 2, no stack trace. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
