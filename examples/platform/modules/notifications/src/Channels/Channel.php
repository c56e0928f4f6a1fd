<?php

namespace Acme\Modules\Notifications\Channels;

/**
 * A delivery channel (mail, SMS, ...). Implementations must throw on failure
 * so the queued job that called them is retried.
 */
interface Channel
{
    public function send(string $to, string $subject, string $body): void;
}
