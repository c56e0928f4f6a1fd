<?php

namespace Acme\Modules\Orders\Http\Controllers;

use Acme\Modules\Orders\Models\Order;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller;

class OrderController extends Controller
{
    public function index(Request $request): JsonResponse
    {
        $orders = Order::query()
            ->where('customer_id', $request->user()->id)
            ->latest()
            ->paginate(20);

        return response()->json($orders);
    }

    public function show(Request $request, Order $order): JsonResponse
    {
        abort_unless($order->customer_id === $request->user()->id, 404);

        return response()->json($order->load('lines'));
    }

    public function cancel(Request $request, Order $order): JsonResponse
    {
        abort_unless($order->customer_id === $request->user()->id, 404);

        if (! $order->canBeCancelled()) {
            return response()->json(['message' => "Order {$order->number} is already {$order->status}."], 409);
        }

        $order->update(['status' => 'cancelled']);

        return response()->json($order);
    }
}
