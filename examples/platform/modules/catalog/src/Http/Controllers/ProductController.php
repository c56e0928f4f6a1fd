<?php

namespace Acme\Modules\Catalog\Http\Controllers;

use Acme\Modules\Catalog\Models\Product;
use Illuminate\Routing\Controller;
use Illuminate\View\View;

class ProductController extends Controller
{
    public function index(): View
    {
        $products = Product::query()
            ->where('published', true)
            ->orderBy('name')
            ->paginate(24);

        return view('catalog::products.index', ['products' => $products]);
    }

    public function show(Product $product): View
    {
        abort_unless($product->published, 404);

        return view('catalog::products.show', ['product' => $product]);
    }
}
