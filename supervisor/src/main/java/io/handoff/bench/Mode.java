package io.handoff.bench;

/** How connections are used ({@code --mode}): persistent, or one request per connection. */
enum Mode { keepalive, close }
