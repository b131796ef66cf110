"""Unit conversion: length, mass, volume, area, time, speed, data, energy, pressure and temperature."""

from __future__ import annotations

from engine.errors import ToolError
from engine.tools.base import tool
from engine.tools.builtin.calculator import format_number

# factor to the dimension's base unit
_UNITS: dict[str, dict[str, float]] = {
    "length": {"m": 1, "km": 1000, "cm": 0.01, "mm": 0.001, "um": 1e-6, "nm": 1e-9, "mi": 1609.344,
               "yd": 0.9144, "ft": 0.3048, "in": 0.0254, "nmi": 1852},
    "mass": {"kg": 1, "g": 0.001, "mg": 1e-6, "t": 1000, "lb": 0.45359237, "oz": 0.028349523125, "st": 6.35029318},
    "volume": {"l": 1, "ml": 0.001, "cl": 0.01, "dl": 0.1, "m3": 1000, "gal": 3.785411784, "qt": 0.946352946,
               "pt": 0.473176473, "cup": 0.2365882365, "floz": 0.0295735295625, "tbsp": 0.01478676478, "tsp": 0.00492892159},
    "area": {"m2": 1, "km2": 1e6, "cm2": 1e-4, "ha": 1e4, "acre": 4046.8564224, "ft2": 0.09290304, "mi2": 2589988.110336},
    "time": {"s": 1, "ms": 0.001, "min": 60, "h": 3600, "day": 86400, "week": 604800, "year": 31557600},
    "speed": {"m/s": 1, "km/h": 1 / 3.6, "mph": 0.44704, "knot": 0.514444444},
    "data": {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "bit": 0.125},
    "energy": {"j": 1, "kj": 1e3, "cal": 4.184, "kcal": 4184, "wh": 3600, "kwh": 3.6e6},
    "pressure": {"pa": 1, "kpa": 1e3, "bar": 1e5, "psi": 6894.757293168, "atm": 101325, "mmhg": 133.322387415},
}
_SYNONYMS = {
    "meter": "m", "metre": "m", "meters": "m", "metres": "m", "kilometer": "km", "kilometre": "km",
    "kilometers": "km", "kilometres": "km", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm",
    "millimeter": "mm", "millimeters": "mm", "mile": "mi", "miles": "mi", "yard": "yd", "yards": "yd",
    "foot": "ft", "feet": "ft", "inch": "in", "inches": "in",
    "kilogram": "kg", "kilograms": "kg", "kilo": "kg", "kilos": "kg", "gram": "g", "grams": "g",
    "milligram": "mg", "tonne": "t", "tonnes": "t", "ton": "t", "pound": "lb", "pounds": "lb", "lbs": "lb",
    "ounce": "oz", "ounces": "oz", "stone": "st",
    "liter": "l", "litre": "l", "liters": "l", "litres": "l", "milliliter": "ml", "millilitre": "ml",
    "milliliters": "ml", "gallon": "gal", "gallons": "gal", "quart": "qt", "pint": "pt", "pints": "pt",
    "cups": "cup", "tablespoon": "tbsp", "teaspoon": "tsp", "fl oz": "floz",
    "second": "s", "seconds": "s", "sec": "s", "minute": "min", "minutes": "min", "hour": "h", "hours": "h",
    "hr": "h", "days": "day", "d": "day", "weeks": "week", "years": "year", "yr": "year",
    "kph": "km/h", "kmh": "km/h", "knots": "knot", "kt": "knot", "mps": "m/s",
    "byte": "b", "bytes": "b", "kilobyte": "kb", "megabyte": "mb", "gigabyte": "gb", "terabyte": "tb", "bits": "bit",
    "joule": "j", "joules": "j", "calorie": "cal", "calories": "cal", "kilocalorie": "kcal",
    "square meter": "m2", "sq m": "m2", "m²": "m2", "km²": "km2", "hectare": "ha", "hectares": "ha", "acres": "acre",
    "sq ft": "ft2", "ft²": "ft2",
    "celsius": "c", "°c": "c", "fahrenheit": "f", "°f": "f", "kelvin": "k",
}
_TEMPS = {"c", "f", "k"}


def _key(unit: str) -> str:
    u = " ".join(unit.strip().lower().split())
    return _SYNONYMS.get(u, _SYNONYMS.get(u.rstrip("s"), u))


def _to_kelvin(value: float, unit: str) -> float:
    return {"c": value + 273.15, "f": (value - 32) * 5 / 9 + 273.15, "k": value}[unit]


def _from_kelvin(value: float, unit: str) -> float:
    return {"c": value - 273.15, "f": (value - 273.15) * 9 / 5 + 32, "k": value}[unit]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``."""
    a, b = _key(from_unit), _key(to_unit)
    if a in _TEMPS and b in _TEMPS:
        return _from_kelvin(_to_kelvin(value, a), b)
    for table in _UNITS.values():
        if a in table and b in table:
            return value * table[a] / table[b]
    known = [u for u in (a, b) if u not in _TEMPS and not any(u in t for t in _UNITS.values())]
    if known:
        raise ToolError(f"Unknown unit {known[0]!r}. Known: {', '.join(sorted({u for t in _UNITS.values() for u in t} | _TEMPS))}.")
    raise ToolError(f"Cannot convert {from_unit} to {to_unit}: they measure different things.")


@tool(
    examples=[
        ("How many kilometers is 3 miles?", {"value": 3, "from_unit": "mi", "to_unit": "km"}),
        ("Convert 20 Celsius to Fahrenheit", {"value": 20, "from_unit": "C", "to_unit": "F"}),
        ("How many grams is 2 pounds?", {"value": 2, "from_unit": "lb", "to_unit": "g"}),
    ]
)
def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a quantity between units of length, mass, volume, area, time, speed, data, energy, pressure or temperature.

    Args:
        value: the number to convert.
        from_unit: unit of the value, e.g. "mi", "kg", "F", "l".
        to_unit: unit wanted, e.g. "km", "lb", "C", "gal".
    """
    out = convert(value, from_unit, to_unit)
    return f"{format_number(value)} {from_unit} = {format_number(round(out, 6))} {to_unit}"
