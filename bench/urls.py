"""The benchmark's urlconf: the product's URLs, plus stock DRF under /bench-stock/."""

from django.urls import include, path

from bench import stock_drf
from scorecard import urls as product

urlpatterns = [
    path("bench-stock/api/v1/", include(stock_drf.router.urls)),
    *product.urlpatterns,
]
handler404 = product.handler404
handler500 = product.handler500
