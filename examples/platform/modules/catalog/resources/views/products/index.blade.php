@extends('layouts.shop')

@section('title', 'Products')

@section('content')
    <ul class="product-grid">
        @foreach ($products as $product)
            <li>
                <a href="{{ route('catalog.products.show', $product) }}">{{ $product->name }}</a>
                <span>{{ $product->formattedPrice() }}</span>
            </li>
        @endforeach
    </ul>

    {{ $products->links() }}
@endsection
