"""楼门（栋）长: residents made part-time grid workers for some buildings of a grid."""
