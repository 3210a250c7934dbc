"""cgmolct.readouts"""
