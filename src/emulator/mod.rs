//! Local Binance Spot REST emulator.
