#!/bin/sh
# Rebuild the order search index, e.g. after a bulk import.
# Usage: modules/orders/bin/reindex.sh [CHUNK_SIZE]
set -eu

chunk="${1:-500}"
cd "$(dirname "$0")/../../.."

echo "orders: flushing search index"
php artisan scout:flush 'Acme\Modules\Orders\Models\Order'

echo "orders: importing orders in chunks of ${chunk}"
php artisan scout:import 'Acme\Modules\Orders\Models\Order' --chunk="${chunk}"

echo "orders: reindex done"
