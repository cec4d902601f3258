"""The staff blueprint, one object shared by the sign-in, account and staff-management views."""
from flask import Blueprint

bp = Blueprint("staff", __name__)
