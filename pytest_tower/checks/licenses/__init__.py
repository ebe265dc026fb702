"""The licences check type and its SPDX expression reader."""
