"""Coupons (staff: all; instructors: their own courses') and orders (staff: look up and
refund; nothing about an order is edited by hand)."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from catalog.models import Course
from lms.lib.admin_actions import with_reason
from payments import services
from payments.forms import CouponAdminForm
from payments.models import Coupon, Order
from payments.providers import ProviderError


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = ["code", "discount", "course", "starts_at", "ends_at", "uses", "is_active"]
    list_filter = ["is_active", "kind"]
    list_select_related = ["course"]
    search_fields = ["code", "course__title"]
    readonly_fields = ["used_count", "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["code", "kind", "value", "course", "is_active"]}),
        ("When and how often", {"fields": ["starts_at", "ends_at", "max_uses", "used_count"]}),
        (None, {"fields": ["created_by", "created_at"]}),
    ]

    def get_queryset(self, request):
        return Coupon.objects.editable_by(request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and Coupon.objects.filter(pk=object_id).exists():
            raise Http404("No such coupon among your courses'.")  # someone else's: 404
        return obj

    def _may_author(self, request) -> bool:
        return request.user.is_active and request.user.can_author_courses

    def has_module_permission(self, request):
        return self._may_author(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_author(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may_author(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_author(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_author(request) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return WithUser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "course":
            kwargs["queryset"] = Course.objects.editable_by(request.user).order_by("title")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Discount")
    def discount(self, obj):
        if obj.kind == Coupon.Kind.PERCENT:
            return f"{obj.value.normalize():f} %"
        return f"{obj.value} off"

    @admin.display(description="Uses")
    def uses(self, obj):
        return f"{obj.used_count} / {obj.max_uses}" if obj.max_uses is not None else obj.used_count


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Staff look up orders and refund paid ones. Orders are bookkeeping: no one adds,
    edits or deletes them here; their status moves only through payments.services."""

    list_display = [
        "pk",
        "course_title",
        "buyer_email",
        "total",
        "status",
        "provider",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["buyer_email", "course_title", "provider_ref"]
    date_hierarchy = "created_at"
    actions = ["refund"]
    fields = [
        "status",
        "buyer",
        "buyer_email",
        "course",
        "course_title",
        "list_price",
        "discount",
        "coupon",
        "amount",
        "currency",
        "provider",
        "provider_ref",
        "failure_reason",
        "refund_reason",
        "created_at",
        "updated_at",
        "paid_at",
        "refunded_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/payments/order/change_form.html"

    def _staff(self, request) -> bool:
        return request.user.is_active and request.user.is_platform_staff

    def has_module_permission(self, request):
        return self._staff(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._staff(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):  # for the refund action only
        return self._staff(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Total", ordering="amount")
    def total(self, obj):
        return f"{obj.amount} {obj.currency}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [
            path("<int:pk>/refund/", refund, name="payments_order_refund"),
            *super().get_urls(),
        ]

    def refund_view(self, request, pk: int):
        """The change page's "Refund…" button: the action's reason form for one order."""
        if not self.has_change_permission(request):
            raise Http404("No such order.")
        order = get_object_or_404(Order, pk=pk)
        change_url = reverse("admin:payments_order_change", args=[order.pk])
        response = self.refund(request, Order.objects.filter(pk=order.pk), cancel_url=change_url)
        return response or HttpResponseRedirect(change_url)

    @admin.action(
        description="Refund the selected orders (asks for a reason)", permissions=["change"]
    )
    def refund(self, request, queryset, cancel_url: str = ""):
        def apply(order, reason):
            if order.status != Order.Status.PAID:
                self.message_user(
                    request,
                    f"{order}: not refunded, it is {order.get_status_display().lower()}.",
                    messages.WARNING,
                )
                return False
            try:
                return services.refund(order=order, reason=reason)
            except ProviderError as error:
                self.message_user(request, f"{order}: not refunded. {error}", messages.ERROR)
                return False

        return with_reason(
            self,
            request,
            queryset,
            action="refund",
            title="Refund orders",
            label="Reason (shown to the buyer in their order history)",
            initial="Refund requested by the buyer.",
            explanation="Each paid order below is refunded in full: the money goes back "
            "through its payment provider, the buyer's access to the course ends (their "
            "progress is kept) and they get an email.",
            apply=apply,
            cancel_url=cancel_url,
            detail=lambda order: (
                f"{order.buyer_email} · {order.amount} {order.currency} · "
                f"{order.get_status_display()}"
            ),
        )
