<?php

namespace Acme\Modules\Auth\Http\Controllers;

use Acme\Modules\Auth\Models\ApiToken;
use Acme\Modules\Auth\Services\TokenIssuer;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller;

class TokenController extends Controller
{
    public function __construct(private readonly TokenIssuer $issuer)
    {
    }

    public function store(Request $request): JsonResponse
    {
        $data = $request->validate(['name' => 'required|string|max:100']);

        [$token, $plain] = $this->issuer->issue($request->user(), $data['name']);

        return response()->json([
            'id' => $token->id,
            'token' => $plain,
            'expires_at' => $token->expires_at?->toIso8601String(),
        ], 201);
    }

    public function revoke(Request $request, ApiToken $token): JsonResponse
    {
        abort_unless($request->user()->is_staff, 403);

        $token->update(['revoked_at' => now()]);

        return response()->json(['revoked' => true]);
    }
}
