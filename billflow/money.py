"""Money on the Python side: currencies, minor units, parsing and display.

Amounts are computed in SQL (sql/macros/money.sql holds the one rounding rule: half-up, away
from zero, to the currency's minor unit). Python only parses, formats and supplies the
currency table that SQL joins.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 active codes with two decimals (the default exponent).
_TWO_DECIMALS = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR ISK JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL
MAD MDL MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP
PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT
TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL
""".split()

# Exponents other than two (ISO 4217, as Stripe uses them for amounts).
_OTHER_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}

MINOR_UNITS: dict[str, int] = {**dict.fromkeys(_TWO_DECIMALS, 2), **_OTHER_EXPONENTS}


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit; KeyError for an unknown code."""
    return MINOR_UNITS[currency.upper()]


def from_minor(amount: int, currency: str) -> Decimal:
    """An integer amount in minor units (Stripe's form) as a Decimal in major units."""
    return Decimal(amount).scaleb(-minor_units(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """A Decimal in major units as integer minor units; refuses a value finer than the unit."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def half_up(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, halves away from zero (the SQL rule, for Python use)."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """`USD 12,345.60`: grouped, at the currency's own number of decimals."""
    places = minor_units(currency)
    return f"{currency.upper()} {half_up(amount, currency):,.{places}f}"
