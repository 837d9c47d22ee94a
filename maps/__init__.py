"""folium rendering: pure functions from results + geography to maps/HTML."""
