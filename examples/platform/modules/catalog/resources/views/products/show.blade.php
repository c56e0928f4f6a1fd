@extends('layouts.shop')

@section('title', $product->name)

@section('content')
    <article class="product">
        <h1>{{ $product->name }}</h1>
        <p class="product__sku">SKU {{ $product->sku }}</p>
        <p class="product__price">{{ $product->formattedPrice() }}</p>
        <div class="product__description">{!! nl2br(e($product->description)) !!}</div>
    </article>
@endsection
