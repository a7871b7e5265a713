"""Battery storage: the fleet, OR-Tools schedules, the rule and no-storage baselines, degradation, health."""
