"""The sarif check type: any SARIF 2.1.0 producer, its log checked against the schema."""
