"""Seed 000 (reverse-mode autodiff with a tape of named variables), run on morch.tape.

The example cells of the seed notebook, unchanged except for the import line. Prints the
Wengert list of the forward pass, f, and the gradients found by replaying the tape.
"""

from morch.tape import Variable, grad, reset_tape

reset_tape()

x = Variable.constant(2., name='v-1')
y = Variable.constant(5., name='v0')

f = Variable.log(x) + x * y - Variable.sin(y)
print(f)

dx, dy = grad(f, [x, y])
print("dx", dx)
print("dy", dy)
