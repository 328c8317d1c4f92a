"""Area and length units used in Chinese land documents (1 亩 = 10000/15 m²)."""

M2_PER_MU = 10000.0 / 15.0
M2_PER_HECTARE = 10000.0


def m2_to_mu(m2: float) -> float:
    """Square metres to 亩 (1 亩 = 10000/15 m², the 市制 unit of land documents)."""
    return m2 / M2_PER_MU


def mu_to_m2(mu: float) -> float:
    """亩 to square metres (1 亩 = 10000/15 m²)."""
    return mu * M2_PER_MU


def m2_to_hectare(m2: float) -> float:
    """Square metres to 公顷 (hectares, 10000 m²)."""
    return m2 / M2_PER_HECTARE


def m_to_km(m: float) -> float:
    """Metres to kilometres."""
    return m / 1000.0


def format_area(m2: float) -> str:
    """亩 first, as land documents show it: '12.34 亩（8226.7 m²，0.82 公顷）'."""
    return f"{m2_to_mu(m2):,.2f} 亩（{m2:,.1f} m²，{m2_to_hectare(m2):,.2f} 公顷）"


def format_length(m: float) -> str:
    """A length for display: '123.4 m' below 1 km, '1.23 km' from 1 km."""
    return f"{m:,.1f} m" if m < 1000 else f"{m_to_km(m):,.2f} km"
