// placeholder: the activation engine lands here
