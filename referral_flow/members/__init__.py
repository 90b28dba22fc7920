"""The union chair's screens: roster, add/edit member, nominate, the unit's cases."""
