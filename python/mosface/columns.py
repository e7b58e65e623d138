"""Column layout of the (K, 18) detection arrays returned by mosface."""

BOX = slice(0, 4)  # x1, y1, x2, y2 in pixels
SCORE = 4  # face probability in [0, 1]
LANDMARKS = slice(5, 15)  # (x, y) of right eye, left eye, nose, right and left mouth corner
YAW = 15  # degrees
PITCH = 16
ROLL = 17
POSE = slice(15, 18)  # yaw, pitch, roll
NUM_COLUMNS = 18
