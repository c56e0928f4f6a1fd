<?php

return [
    // Days until a newly issued personal API token expires; 0 means never.
    'token_ttl_days' => (int) env('AUTH_TOKEN_TTL_DAYS', 90),

    // Failed login attempts per e-mail address before a one-minute lockout.
    'max_login_attempts' => (int) env('AUTH_MAX_LOGIN_ATTEMPTS', 5),

    // Staff users must log in again after this many minutes of inactivity.
    'staff_session_minutes' => (int) env('AUTH_STAFF_SESSION_MINUTES', 120),
];
