import { BadRequestException } from '@nestjs/common';

/** One rejected parameter. */
export interface TwitchInvalidParam {
  /** Path of the parameter in the params object, e.g. `first` or `contentClassificationLabels.0.id`. */
  field: string;
  /** What is wrong with it. */
  messages: string[];
}

/** Params refused before anything was sent to Twitch. The message names every bad field. */
export class TwitchValidationException extends BadRequestException {
  constructor(
    readonly endpoint: string,
    readonly fields: TwitchInvalidParam[],
  ) {
    super(
      {
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid params for ${endpoint}: ${fields.map((f) => f.messages.join(', ')).join('; ')}`,
        fields,
      },
      { errorCode: 'TWITCH_INVALID_PARAMS' },
    );
  }
}
