"""cgmolct.models"""
